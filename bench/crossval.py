"""Cross-validate the matcher on the content's own examples (the tuning set).

The evaluation set in tests/data is kept for testing; weights and thresholds are chosen here:
each fold hides a fifth of every intent's examples, rebuilds the index and matches them. Far
out-of-scope dev messages live in bench/data/dev_oos.txt.

Usage: python bench/crossval.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services import thresholds_of
from content import Content, load_content
from intents import Matcher, Tuning
from intents.evaluation import credit, is_rejection

FOLDS = 5


def dev_oos() -> list[str]:
    path = Path(__file__).parent / "data" / "dev_oos.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("# ")]


def crossval(
    content: Content, tuning: Tuning
) -> tuple[list[tuple[str | None, float]], list[float]]:
    """Return (gold, top score if correct else -score) pairs for in-scope and OOS top scores."""
    thresholds = thresholds_of(content)
    rows: list[tuple[str | None, float]] = []
    oos_scores: list[float] = []
    for fold in range(FOLDS):
        train: list[tuple[str, list[str]]] = []
        test: list[tuple[str, str]] = []
        for intent in content.intents.values():
            kept = [e for i, e in enumerate(intent.examples) if i % FOLDS != fold]
            train.append((intent.id, [*kept, intent.title]))
            held = [e for i, e in enumerate(intent.examples) if i % FOLDS == fold]
            test.extend((intent.id, e) for e in held)
        matcher = Matcher(train, content.lexicon, thresholds, tuning)
        for gold, text in test:
            _, ranked = matcher.rank(text)
            top = ranked[0] if ranked else None
            if gold.startswith("oos."):
                oos_scores.append(0.0 if top is None or is_rejection(top.intent) else top.score)
                continue
            ok = top is not None and credit(top.intent, gold) == gold
            rows.append((gold, top.score if ok and top else -(top.score if top else 0.0)))
        if fold == 0:
            for text in dev_oos():
                _, ranked = matcher.rank(text)
                top = ranked[0] if ranked else None
                oos_scores.append(0.0 if top is None or is_rejection(top.intent) else top.score)
    return rows, oos_scores


def summarize(
    rows: list[tuple[str | None, float]], oos_scores: list[float], threshold: float
) -> tuple[float, float, float]:
    answered_right = sum(1 for _, s in rows if s >= threshold)
    top1 = sum(1 for _, s in rows if s > 0)
    rejected = sum(1 for s in oos_scores if s < threshold)
    return top1 / len(rows), answered_right / len(rows), rejected / len(oos_scores)


def main() -> None:
    content = load_content()
    grid = itertools.product((0.4, 0.5, 0.6), (8.0, 12.0), (0.35, 0.5, 0.75))
    print(f"{'bm25_w':>6} {'sat':>4} {'cov':>4} {'top1':>6} | thr: acc / oos-rej ...")
    for weight, saturation, power in grid:
        tuning = Tuning(bm25_weight=weight, bm25_saturation=saturation, coverage_power=power)
        rows, oos = crossval(content, tuning)
        cells = []
        for threshold in (0.35, 0.4, 0.45, 0.5, 0.55):
            top1, acc, rej = summarize(rows, oos, threshold)
            cells.append(f"{threshold:.2f}: {acc:.3f}/{rej:.3f}")
        print(f"{weight:>6} {saturation:>4} {power:>4} {top1:>6.3f} | " + "  ".join(cells))


if __name__ == "__main__":
    main()
