"""An averaged perceptron over the same terms BM25 reads: which words tell sibling intents apart.

BM25 and fuzzy matching measure how much a message looks like an intent's examples; they cannot
learn that "tham gia" decides team.join while "tổ công nghệ số" is shared by every team.* intent.
A linear model trained on the examples learns exactly that, and, fused with the lexical score,
raised top-1 by about 3 points in cross-validation (see bench/crossval.py). The averaged
perceptron is the simplest such model: a few seconds of pure Python to train, deterministic
(seeded order), no dependency, and its weights are plain numbers that can be cached as JSON.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

from intents.bm25 import terms_of

__all__ = ["Weights", "scores", "train"]

# feature (a term: "mat", "mat_khau") -> intent id -> weight
Weights = dict[str, dict[str, float]]


def _features(key: str) -> set[str]:
    return set(terms_of(key.split()))


def train(keyed: Sequence[tuple[str, Sequence[str]]], epochs: int = 6, seed: int = 1) -> Weights:
    """Train on every normalized example key; returns the averaged weights (zeros dropped)."""
    data = [(_features(key), intent) for intent, keys in keyed for key in keys if key]
    weights: dict[str, dict[str, float]] = {}
    totals: dict[str, dict[str, float]] = {}  # step-weighted updates, for averaging
    order = random.Random(seed)
    step = 1
    for _ in range(epochs):
        order.shuffle(data)
        for features, gold in data:
            guess = _best(scores(weights, features))
            if guess != gold:
                for feature in features:
                    row, total = weights.setdefault(feature, {}), totals.setdefault(feature, {})
                    row[gold] = row.get(gold, 0.0) + 1.0
                    total[gold] = total.get(gold, 0.0) + step
                    if guess is not None:
                        row[guess] = row.get(guess, 0.0) - 1.0
                        total[guess] = total.get(guess, 0.0) - step
            step += 1
    averaged: Weights = {}
    for feature, row in weights.items():
        total = totals[feature]
        kept = {
            intent: round(value - total[intent] / step, 4)
            for intent, value in row.items()
            if abs(value - total[intent] / step) > 1e-9
        }
        if kept:
            averaged[feature] = kept
    return averaged


def scores(
    weights: Mapping[str, Mapping[str, float]], features: Iterable[str]
) -> dict[str, float]:
    """Each intent's score for a message's features (only intents some feature speaks for)."""
    result: dict[str, float] = {}
    for feature in features:
        for intent, value in weights.get(feature, {}).items():
            result[intent] = result.get(intent, 0.0) + value
    return result


def _best(found: Mapping[str, float]) -> str | None:
    if not found:
        return None
    return max(found.items(), key=lambda item: (item[1], item[0]))[0]
