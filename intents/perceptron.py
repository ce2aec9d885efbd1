"""An averaged perceptron over the same terms BM25 reads: which words tell sibling intents apart.

BM25 and fuzzy matching measure how much a message looks like an intent's examples; they cannot
learn that "tham gia" decides team.join while "tổ công nghệ số" is shared by every team.* intent.
A linear model trained on the examples learns exactly that, and, fused with the lexical score,
raised top-1 by about 3 points in cross-validation (see bench/crossval.py). The averaged
perceptron is the simplest such model: a few seconds of pure Python to train, deterministic
(seeded order), no dependency, and its weights are plain numbers that can be cached as JSON.

Training scores every example against every intent some feature of it has a weight for. With
thousands of intents the rows of common features ("la", "khong") hold most of them and dict sums
make training take most of an hour; there the rows with many intents are mirrored in numpy
vectors and summed at once (`_DenseRows`). While training, weights are whole numbers, so the sums
are exact in any order and the result is the same, weight for weight.

The training order is stable under edits: each epoch visits the examples in the order of a
hash of (epoch, intent, example), not a seeded shuffle of the list. A shuffle of a list one
example longer is a different permutation altogether, so any edit retrained the weights from a
new order and moved close decisions all over the content: four small edits (one or two
examples added to one intent) changed 74, 62, 64 and 49 of the 1,924 decisions on the two
evaluation sets. With the hashed order an added example only takes its own place: the same
edits changed 40, 0, 14 and 0, with the same accuracy. An operator's edit should change what
it is about, and the publication gate compares before and after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from intents.bm25 import VECTOR_FROM, TermRows, numpy_or_none, terms_of

__all__ = ["Weights", "scores", "train", "weight_rows", "weights_of"]

# feature (a term: "mat", "mat_khau") -> intent id -> weight
Weights = dict[str, dict[str, float]]


def _features(key: str) -> set[str]:
    return set(terms_of(key.split()))


def train(keyed: Sequence[tuple[str, Sequence[str]]], epochs: int = 6, seed: int = 1) -> Weights:
    """Train on every normalized example key; returns the averaged weights (zeros dropped)."""
    examples = [(intent, key) for intent, keys in keyed for key in keys if key]
    features_of = [_features(key) for _, key in examples]
    weights: dict[str, dict[str, float]] = {}
    totals: dict[str, dict[str, float]] = {}  # step-weighted updates, for averaging
    step = 1
    intents = sorted({intent for intent, _ in examples})
    numpy = numpy_or_none() if len(intents) >= DENSE_FROM_INTENTS else None
    dense = _DenseRows(numpy, intents, weights) if numpy is not None else None
    for epoch in range(epochs):
        salt = f"{seed}:{epoch}".encode()
        ranks = [
            hashlib.blake2b(f"{intent}\n{key}".encode(), digest_size=8, salt=salt).digest()
            for intent, key in examples
        ]
        order = sorted(range(len(examples)), key=lambda n: (ranks[n], examples[n]))
        for features, gold in ((features_of[n], examples[n][0]) for n in order):
            guess = dense.best(features) if dense else _best(scores(weights, features))
            if guess != gold:
                for feature in features:
                    row, total = weights.setdefault(feature, {}), totals.setdefault(feature, {})
                    row[gold] = row.get(gold, 0.0) + 1.0
                    total[gold] = total.get(gold, 0.0) + step
                    if guess is not None:
                        row[guess] = row.get(guess, 0.0) - 1.0
                        total[guess] = total.get(guess, 0.0) - step
                    if dense:
                        dense.updated(feature, row, gold, guess)
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


# Intents from which training sums long rows with numpy (when installed), and the row length
# from which a row is mirrored.
DENSE_FROM_INTENTS = 300
DENSE_ROW = 48


class _DenseRows:
    """Numpy mirrors of the long rows of the weights being trained, to score an example fast.

    The dict rows stay the reference (they are what training returns); a row longer than
    `DENSE_ROW` intents also lives as a vector over every intent, with a mask of the intents it
    holds (a weight that came back to 0 still counts as held, as in the dict).
    """

    def __init__(self, numpy: Any, intents: Sequence[str], weights: Weights) -> None:
        self.np = numpy
        self.weights = weights
        # Intents in sorted order: on a tied score the highest column is the greatest id.
        self.column = {intent: n for n, intent in enumerate(intents)}
        self.intents = list(intents)
        self.values: dict[str, Any] = {}
        self.held: dict[str, Any] = {}

    def updated(self, feature: str, row: Mapping[str, float], *changed: str | None) -> None:
        """Keep the mirror of `feature` in step after its dict row changed for `changed`."""
        values = self.values.get(feature)
        if values is None:
            if len(row) < DENSE_ROW:
                return
            np = self.np
            values = self.values[feature] = np.zeros(len(self.intents), dtype=np.int32)
            held = self.held[feature] = np.zeros(len(self.intents), dtype=bool)
            columns = [self.column[intent] for intent in row]
            values[columns] = list(row.values())
            held[columns] = True
            return
        held = self.held[feature]
        for intent in changed:
            if intent is not None:
                column = self.column[intent]
                values[column] = row[intent]
                held[column] = True

    def best(self, features: Iterable[str]) -> str | None:
        """The same intent as `_best(scores(weights, features))`."""
        np = self.np
        short: dict[int, float] = {}
        vectors = []
        masks = []
        for feature in features:
            values = self.values.get(feature)
            if values is not None:
                vectors.append(values)
                masks.append(self.held[feature])
                continue
            for intent, value in self.weights.get(feature, {}).items():
                column = self.column[intent]
                short[column] = short.get(column, 0.0) + value
        if not vectors:
            return _best({self.intents[c]: v for c, v in short.items()})
        totals = vectors[0].astype(np.int64)
        held = masks[0].copy()
        for values, mask in zip(vectors[1:], masks[1:], strict=True):
            totals += values
            held |= mask
        if short:
            columns = np.fromiter(short, dtype=np.intp, count=len(short))
            totals[columns] += np.fromiter(short.values(), dtype=np.int32, count=len(short))
            held[columns] = True
        top = totals[held].max()
        return self.intents[int(np.flatnonzero(held & (totals == top))[-1])]


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


def weight_rows(
    weights: Mapping[str, Mapping[str, float]],
    intents: Sequence[str],
    vector_from: int = VECTOR_FROM,
) -> tuple[TermRows, list[str]]:
    """The weights as rows over intent columns (the matcher's intents first, in order), so that
    a message's scores are one sparse sum; and the intent of each column."""
    known = set(intents)
    names = [*intents, *sorted({i for row in weights.values() for i in row} - known)]
    position = {name: column for column, name in enumerate(names)}
    rows = {
        feature: ([position[intent] for intent in row], list(row.values()))
        for feature, row in weights.items()
    }
    return TermRows.from_rows(rows, len(names), vector_from), names


def weights_of(rows: TermRows, names: Sequence[str]) -> Weights:
    """The weights back from `weight_rows`."""
    found: Weights = {}
    for feature in rows:
        columns, values = rows.row(feature)
        found[feature] = {names[c]: v for c, v in zip(columns, values, strict=True)}
    return found
