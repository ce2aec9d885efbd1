"""Time the commands an operator runs, as separate processes: `trolyso match` start-up (one
message in, one decision out) and `trolyso content check`, on the shipped content and on a
content grown to N intents (bench/synthetic_content.py).

`trolyso match` is timed with its cache warm (the index of the content version built by an
earlier run, as on every start after the first), against a plain rapidfuzz script that reads
the same YAML files and matches the message with `process.extractOne`: the floor for a Python
process that matches against this content. Wall-clock times; the machine is shared and noisy,
so each figure is the median of several runs, with the minimum beside it.

Usage: python -m bench.bench_startup [--runs 7] [--synthetic-intents 2000]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.synthetic_content import write_synthetic_content
from content import default_content_dir

MESSAGE = "làm căn cước ở đâu vậy\n"
TROLYSO = Path(sys.executable).with_name("trolyso")
PLAIN = """
import sys
from pathlib import Path
import yaml
from rapidfuzz import process
choices = []
for path in sorted(Path(sys.argv[1], "faq").glob("*.yaml")):
    data = yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)
    choices += [e for intent in data["intents"] for e in intent["examples"]]
print(process.extractOne(sys.stdin.readline(), choices))
"""


def wall(command: Sequence[str], env: dict[str, str], stdin: str = "") -> float:
    """Seconds one run of `command` takes, from fork to exit."""
    started = time.perf_counter()
    subprocess.run(command, input=stdin, env=env, text=True, check=True, capture_output=True)
    return time.perf_counter() - started


def figures(command: Sequence[str], env: dict[str, str], runs: int, stdin: str = "") -> str:
    samples = [wall(command, env, stdin) for _ in range(runs)]
    return f"median {statistics.median(samples):.2f} s (min {min(samples):.2f} s, {runs} runs)"


def report(name: str, content_dir: Path, runs: int, check_runs: int, trolyso: list[str]) -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "TROLYSO_CONTENT_DIR": str(content_dir), "TROLYSO_DATA_DIR": data}
        match = [*trolyso, "match"]
        cold = wall(match, env, MESSAGE)  # builds and caches the index if none is shipped
        print(f"{name}:")
        print(f"  trolyso match, first start        {cold:.2f} s")
        print(f"  trolyso match, later starts       {figures(match, env, runs, MESSAGE)}")
        plain = [sys.executable, "-c", PLAIN, str(content_dir)]
        print(f"  plain rapidfuzz script            {figures(plain, env, runs, MESSAGE)}")
        check = [*trolyso, "content", "check"]
        print(f"  trolyso content check             {figures(check, env, check_runs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--synthetic-intents", type=int, default=2_000)
    parser.add_argument("--examples-per-intent", type=int, help="28: the issue's 57,000")
    parser.add_argument(
        "--trolyso", default=str(TROLYSO), help="the command to time (another checkout's)"
    )
    args = parser.parse_args()
    trolyso = shlex.split(args.trolyso)
    report("Shipped content", default_content_dir(), args.runs, args.runs, trolyso)
    if args.synthetic_intents:
        with tempfile.TemporaryDirectory() as folder:
            grown = write_synthetic_content(
                Path(folder) / "content", args.synthetic_intents, args.examples_per_intent
            )
            examples = args.examples_per_intent or "all their model's"
            name = f"Synthetic content, {args.synthetic_intents} intents ({examples} examples)"
            report(name, grown, args.runs, max(1, args.runs // 3), trolyso)


if __name__ == "__main__":
    main()
