"""Cross-validate the matcher and choose its thresholds on data it was not built from.

Each of five folds hides a fifth of every intent's examples (decoys and everyday topics
included), rebuilds the index from the rest and matches the hidden ones: they stand in for
messages nobody wrote for the bot. Optional JSONL sets (`--dev FILE`) are matched against the
full content and pooled in. Then every threshold setting of a small grid is scored on what the
citizen gets (answered wrong, helped, asked, declined), and the settings that keep wrong
answers at or under the target are listed best first.

Usage: python bench/crossval.py [--dev tests/data/holdout_dev.jsonl] [--target-wrong 0.02]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services import build_matcher, thresholds_of
from content import Content, load_content
from intents import Matcher, Thresholds
from intents.evaluation import EvalCase, experience, load_cases
from intents.matcher import Candidate, MatchResult

FOLDS = 5
Ranked = tuple[EvalCase, list[Candidate]]


def fold_rankings(content: Content) -> list[Ranked]:
    """Rank every example with an index built without it (five folds)."""
    rows: list[Ranked] = []
    thresholds = thresholds_of(content)
    for fold in range(FOLDS):
        train: list[tuple[str, list[str]]] = []
        test: list[EvalCase] = []
        for intent in content.intents.values():
            kept = [e for i, e in enumerate(intent.examples) if i % FOLDS != fold]
            train.append((intent.id, [*kept, intent.title]))
            gold = None if intent.id.startswith("oos.") else intent.id
            test.extend(
                EvalCase(f"{intent.id}#{i}", e, gold)
                for i, e in enumerate(intent.examples)
                if i % FOLDS == fold
            )
        matcher = Matcher(train, content.lexicon, thresholds)
        rows.extend((case, matcher.rank(case.text)[1]) for case in test)
    return rows


def set_rankings(matcher: Matcher, cases: Sequence[EvalCase]) -> list[Ranked]:
    return [(case, matcher.rank(case.text)[1]) for case in cases]


def score(matcher: Matcher, rows: Sequence[Ranked], thresholds: Thresholds) -> dict[str, float]:
    """The citizen-experience figures of `rows` under `thresholds` (single questions)."""
    probe = replace_thresholds(matcher, thresholds)
    results: list[MatchResult] = [probe.decide(case.text, ranked) for case, ranked in rows]
    return experience([case for case, _ in rows], results)


def replace_thresholds(matcher: Matcher, thresholds: Thresholds) -> Matcher:
    clone = Matcher.__new__(Matcher)
    clone.__dict__.update(matcher.__dict__)
    clone.thresholds = thresholds
    return clone


def grid(base: Thresholds) -> list[Thresholds]:
    answers = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
    asks = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
    gaps = (0.03, 0.05, 0.07, 0.1)
    windows = (0.05, 0.1)
    return [
        replace(base, answer_threshold=a, clarify_threshold=c, ambiguity_gap=g, choice_window=w)
        for a, c, g, w in itertools.product(answers, asks, gaps, windows)
        if c <= a
    ]


def table(name: str, matcher: Matcher, rows: Sequence[Ranked], target: float) -> None:
    current = matcher.thresholds
    print(
        f"\n== {name}: {sum(1 for c, _ in rows if c.intent)} in scope, "
        f"{sum(1 for c, _ in rows if not c.intent)} out of scope"
    )
    header = (
        f"{'answer':>6} {'ask':>5} {'gap':>5} {'win':>5} | {'wrong':>6} {'helped':>6} "
        f"{'right':>6} {'asked':>6} {'declined':>8}"
    )
    print(header)
    scored = [(t, score(matcher, rows, t)) for t in grid(current)]
    good = [(t, x) for t, x in scored if x["wrong_answer_rate"] <= target]
    # Best first: most citizens helped or rightly declined, each question asked costing half.
    good.sort(
        key=lambda tx: (
            -(tx[1]["helped"] + tx[1]["declined"] - 0.5 * tx[1]["clarified_in_scope"]),
            tx[1]["wrong_answer_rate"],
        )
    )
    now = score(matcher, rows, current)
    for label, (t, x) in [("now", (current, now)), *[("", g) for g in good[:8]]]:
        print(
            f"{t.answer_threshold:>6.2f} {t.ask_from:>5.2f} {t.ambiguity_gap:>5.2f} "
            f"{t.choice_window:>5.2f} | {x['wrong_answer_rate']:>6.3f} {x['helped']:>6.3f} "
            f"{x['answered_right']:>6.3f} {x['clarified_in_scope']:>6.3f} "
            f"{x['declined']:>8.3f} {label}"
        )


def confusions(matcher: Matcher, rows: Sequence[Ranked], top: int = 12) -> None:
    """The most frequent (gold, answered) pairs among wrong answers under current thresholds."""
    pairs: Counter[tuple[str, str]] = Counter()
    for case, ranked in rows:
        result = matcher.decide(case.text, ranked)
        if result.action != "answer" or result.intent is None:
            continue
        gold = case.intent or "<out of scope>"
        if result.intent.startswith("oos.") and case.intent is None:
            continue
        if case.intent and (result.intent == gold or result.intent.startswith(gold + ".")):
            continue
        pairs[(gold, result.intent)] += 1
    print("\nMost frequent wrong answers (gold -> answered):")
    for (gold, got), count in pairs.most_common(top):
        print(f"  {count:>3}  {gold} -> {got}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, action="append", default=[])
    parser.add_argument("--target-wrong", type=float, default=0.02)
    parser.add_argument("--content-dir", type=Path, default=None)
    args = parser.parse_args()
    content = load_content(args.content_dir)
    matcher = build_matcher(content)
    folds = fold_rankings(content)
    table("content examples, 5-fold", matcher, folds, args.target_wrong)
    confusions(matcher, folds)
    for path in args.dev:
        rows = set_rankings(matcher, load_cases(path))
        table(str(path), matcher, rows, args.target_wrong)
        confusions(matcher, rows)


if __name__ == "__main__":
    main()
