"""Record the matcher's decisions on many messages, and check a later version decides the same.

A speed-up of the matcher must not change what citizens get. `dump` writes, for every message,
the decision (intent, action, choices), the ranking and a second question's decision; `compare`
checks two dumps agree: the same intents, actions, choices and rankings, and scores within
float rounding (1e-4, the precision scores are rounded to).

Messages: the evaluation set, the benchmark's corpus (folded copies, copies with typos) and bad
input; `--synthetic-intents 2000` runs them against the benchmark's grown content too.

Usage:
    python -m bench.parity dump before.jsonl [--messages 5000] [--synthetic-intents 2000]
        [--cache-dir DIR]
    python -m bench.parity compare before.jsonl after.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.bench_match import EVAL_SET, bad_input, corpus, grown_matcher, synthetic
from bot.matching import build_matcher
from content import load_content
from intents import Matcher
from intents.evaluation import load_cases
from intents.matcher import MatchResult

TOLERANCE = 1e-4 + 1e-9


def decision(result: MatchResult) -> dict[str, object]:
    """Everything about a result that the citizen's experience depends on, and the scores."""
    fields: dict[str, object] = {
        "intent": result.intent,
        "action": result.action,
        "score": result.score,
        "choices": [c.intent for c in result.choices],
        "ranked": [[c.intent, c.score] for c in result.ranked],
    }
    if result.also is not None:
        fields["also"] = decision(result.also)
    return fields


def records(messages: int, intents: int, cache_dir: Path | None) -> Iterator[dict[str, object]]:
    """One record per (content size, message)."""
    cases = load_cases(EVAL_SET)
    texts = [case.text for case in cases]
    texts += corpus(cases, messages)
    texts += bad_input(max(1, messages // 50))
    content = load_content()
    sizes: list[tuple[str, Matcher]] = [("shipped", build_matcher(content))]
    if intents > len(content.intents):
        big, _ = grown_matcher(content, synthetic(content, intents), cache_dir)
        sizes.append((f"synthetic-{intents}", big))
    for name, matcher in sizes:
        for number, text in enumerate(texts):
            yield {"size": name, "n": number, **decision(matcher.match(text))}


def differences(before: dict[str, object], after: dict[str, object], where: str) -> list[str]:
    """Human-readable differences between two decisions (empty when they agree)."""
    found: list[str] = []
    for key in ("intent", "action", "choices"):
        if before.get(key) != after.get(key):
            found.append(f"{where}: {key} {before.get(key)!r} -> {after.get(key)!r}")
    ranked_before = before.get("ranked") or []
    ranked_after = after.get("ranked") or []
    assert isinstance(ranked_before, list)
    assert isinstance(ranked_after, list)
    if [c[0] for c in ranked_before] != [c[0] for c in ranked_after]:
        found.append(f"{where}: ranking {ranked_before!r} -> {ranked_after!r}")
    else:
        for (_, one), (_, other) in zip(ranked_before, ranked_after, strict=True):
            if abs(float(one) - float(other)) > TOLERANCE:
                found.append(f"{where}: score {one} -> {other}")
    score_before, score_after = before.get("score"), after.get("score")
    assert isinstance(score_before, float | int)
    assert isinstance(score_after, float | int)
    if abs(score_before - score_after) > TOLERANCE:
        found.append(f"{where}: score {score_before} -> {score_after}")
    also_before, also_after = before.get("also"), after.get("also")
    if (also_before is None) != (also_after is None):
        found.append(f"{where}: second question {also_before!r} -> {also_after!r}")
    elif isinstance(also_before, dict) and isinstance(also_after, dict):
        found += differences(also_before, also_after, where + " (second question)")
    return found


def compare(before_path: Path, after_path: Path) -> list[str]:
    """Every difference between two dumps."""
    before = [json.loads(line) for line in before_path.read_text("utf-8").splitlines()]
    after = [json.loads(line) for line in after_path.read_text("utf-8").splitlines()]
    if len(before) != len(after):
        return [f"{len(before)} records before, {len(after)} after"]
    found: list[str] = []
    for one, other in zip(before, after, strict=True):
        found += differences(one, other, f"{one['size']} #{one['n']}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dump = sub.add_parser("dump")
    dump.add_argument("output", type=Path)
    dump.add_argument("--messages", type=int, default=5_000)
    dump.add_argument("--synthetic-intents", type=int, default=2_000)
    dump.add_argument("--cache-dir", type=Path, help="as for bench_match.py")
    check = sub.add_parser("compare")
    check.add_argument("before", type=Path)
    check.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        with args.output.open("w", encoding="utf-8") as stream:
            for record in records(args.messages, args.synthetic_intents, args.cache_dir):
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    found = compare(args.before, args.after)
    for line in found[:50]:
        print(line)
    total = len(args.before.read_text("utf-8").splitlines())
    print(f"{total} decisions compared, {len(found)} difference(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
