"""Write a content folder grown to N intents, to time the commands on it (`trolyso match`,
`trolyso content check`) as an operator with a large FAQ would run them.

The shipped content is copied and the benchmark's synthetic intents (bench_match.synthetic:
real intents copied with two made-up topic words) are added as one more FAQ file, with the
answer, sources and dates of the intent each was copied from. The shipped matcher index is left
out: it belongs to the shipped content (run `trolyso content index` on the copy to ship one).

Usage: python -m bench.synthetic_content OUT [--intents 2000] [--examples-per-intent 28]
    TROLYSO_CONTENT_DIR=OUT trolyso match < messages.txt
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import yaml

from bench.bench_match import synthetic
from bot.matching import SHIPPED_INDEX
from content import Content, default_content_dir, load_content
from content.schema import MAX_TITLE_CHARS


def write_synthetic_content(
    target: Path, intents: int, examples: int | None = None, content: Content | None = None
) -> Path:
    """Copy the shipped content to `target` and grow it to `intents` intents (of `examples`
    examples each, or as many as the intent each copies)."""
    content = content or load_content()
    shutil.copytree(default_content_dir(), target, ignore=shutil.ignore_patterns(SHIPPED_INDEX))
    real = content.intents
    grown = synthetic(content, intents, examples=examples)[len(real) :]
    entries = []
    for intent_id, texts in grown:
        base = real[intent_id.rsplit(".", 1)[0]]
        *questions, title = texts
        entries.append(
            {
                "id": intent_id,
                "topic": base.topic,
                "title": title[:MAX_TITLE_CHARS].strip(),
                "examples": questions,
                "answer": base.answer,
                "sources": [source.model_dump(mode="json") for source in base.sources],
                "reviewed": base.reviewed.isoformat(),
                "review_by": base.review_by.isoformat(),
            }
        )
    with (target / "faq" / "synthetic.yaml").open("w", encoding="utf-8") as stream:
        yaml.safe_dump({"intents": entries}, stream, allow_unicode=True, sort_keys=False)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--intents", type=int, default=2_000)
    parser.add_argument("--examples-per-intent", type=int, help="28: the issue's 57,000")
    args = parser.parse_args()
    write_synthetic_content(args.target, args.intents, args.examples_per_intent)
    print(f"Wrote {args.target} ({args.intents} intents).")


if __name__ == "__main__":
    main()
