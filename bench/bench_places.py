"""Benchmark the commune index (intents/places.py) on queries generated from all 3,321 communes.

Prints the index build time, then for each query set: top-1 / top-3 (the right commune first /
among the first three candidates), how often the answer is "found" and right, "found" and
wrong (the costly error: the bot would act on the wrong commune), how often it is ambiguous,
and the median / p99 latency of one `Places.search` call (each query timed --repeat times,
keeping the fastest, so that a busy shared machine does not inflate the tail). The last two
sets contain no commune: for them, found/ambiguous are false alarms.

Query sets (one query per commune, typed the way citizens do, all folded):
- `type name province`:      "xa ia grai gia lai"
- `name only`:               "ia grai" (no province: ambiguous for 29% of the names)
- `type typo-name province`: one random edit (substitute, delete, insert, swap) in the name
- `typo-name only`:          the same typo, no type word and no province
- `name province`:           "ia grai gia lai"
- `no spaces`:               "iagrai gialai"
- `sentence`:                "toi o xa ia grai tinh gia lai muon lam can cuoc"
- `junk`:                    random letters, 3-12 characters (1,000)
- `faq messages`:            the citizen messages of tests/data/eval_set.jsonl

The machine is shared and noisy: repeated runs vary by tens of percent in latency.

Usage: python bench/bench_places.py [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import time
from collections.abc import Callable
from pathlib import Path

from intents.normalize import fold
from intents.places import Commune, Places

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "data" / "eval_set.jsonl"
LETTERS = string.ascii_lowercase


def typo(word: str, rng: random.Random) -> str:
    """One random edit at a letter of `word` (never a space): substitute, delete, insert, swap."""
    positions = [i for i, ch in enumerate(word) if ch.isalpha()]
    i = rng.choice(positions)
    op = rng.choice(("sub", "del", "ins", "swap"))
    if op == "sub":
        return word[:i] + rng.choice([c for c in LETTERS if c != word[i]]) + word[i + 1 :]
    if op == "del" and len(positions) > 2:
        return word[:i] + word[i + 1 :]
    if op == "swap" and i + 1 < len(word) and word[i + 1].isalpha() and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(LETTERS) + word[i:]


def query_sets(places: Places, seed: int) -> dict[str, list[tuple[str, Commune | None]]]:
    rng = random.Random(seed)
    communes = [c for p in places.provinces() for c in places.communes_in(p.code)]
    sets: dict[str, list[tuple[str, Commune | None]]] = {
        name: []
        for name in (
            "type name province",
            "name only",
            "type typo-name province",
            "typo-name only",
            "name province",
            "no spaces",
            "sentence",
        )
    }
    for c in communes:
        kind, name, province = fold(c.kind), fold(c.short), fold(c.province_short)
        sets["type name province"].append((f"{kind} {name} {province}", c))
        sets["name only"].append((name, c))
        typed = typo(name, rng)
        sets["type typo-name province"].append((f"{kind} {typed} {province}", c))
        sets["typo-name only"].append((typed, c))
        sets["name province"].append((f"{name} {province}", c))
        spaceless = f"{name.replace(' ', '')} {province.replace(' ', '')}"
        sets["no spaces"].append((spaceless, c))
        sentence = f"toi o {kind} {name} tinh {province} muon lam can cuoc"
        sets["sentence"].append((sentence, c))
    junk = ("".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 12))) for _ in range(1000))
    sets["junk"] = [(text, None) for text in junk]
    with EVAL_SET.open(encoding="utf-8") as handle:
        messages = [json.loads(line)["text"] for line in handle if line.strip()]
    sets["faq messages"] = [(text, None) for text in messages]
    return sets


def evaluate(
    places: Places, queries: list[tuple[str, Commune | None]], repeat: int = 1
) -> dict[str, float]:
    top1 = top3 = found_right = found_wrong = ambiguous = 0
    times: list[float] = []
    clock: Callable[[], int] = time.perf_counter_ns
    for text, expected in queries:
        fastest = None
        for _ in range(max(1, repeat)):
            start = clock()
            match = places.search(text)
            elapsed = clock() - start
            fastest = elapsed if fastest is None else min(fastest, elapsed)
        times.append((fastest or 0) / 1e6)
        codes = [c.code for c in match.candidates]
        right = expected is not None and codes[:1] == [expected.code]
        top1 += right
        top3 += expected is not None and expected.code in codes[:3]
        if match.status == "found":
            found_right += right
            found_wrong += not right
        ambiguous += match.status == "ambiguous"
    n = len(queries)
    times.sort()
    return {
        "n": n,
        "top1": top1 / n,
        "top3": top3 / n,
        "found_right": found_right / n,
        "found_wrong": found_wrong / n,
        "ambiguous": ambiguous / n,
        "median_ms": statistics.median(times),
        "p99_ms": times[min(n - 1, int(n * 0.99))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    builds = []
    for _ in range(5):
        start = time.perf_counter()
        places = Places.load()
        builds.append((time.perf_counter() - start) * 1000)
    build = f"min {min(builds):.0f} ms, median {statistics.median(builds):.0f} ms"
    print(f"build (read CSVs + index, 5 runs): {build}")
    communes = sum(len(places.communes_in(p.code)) for p in places.provinces())
    print(f"{len(places.provinces())} provinces, {communes} communes")
    for path in sorted((ROOT / "content" / "places").glob("*.csv")):
        print(f"{path.name}: {path.stat().st_size:,} bytes")
    sets = query_sets(places, args.seed)
    for queries in sets.values():  # warm-up pass
        for text, _ in queries[:200]:
            places.search(text)
    columns = ("n", "top1", "top3", "found✓", "found✗", "ambig", "med ms", "p99 ms")
    print(f"{'query set':26}" + "".join(f"{c:>8}" for c in columns))
    keys = ("n", "top1", "top3", "found_right", "found_wrong", "ambiguous", "median_ms", "p99_ms")
    for name, queries in sets.items():
        r = evaluate(places, queries, args.repeat)
        print(f"{name:26}{r['n']:8.0f}" + "".join(f"{r[k]:8.3f}" for k in keys[1:]))


if __name__ == "__main__":
    main()
