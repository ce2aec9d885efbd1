"""The published overlay: what operators added on top of the shipped content, and its file.

The shipped `content/` YAML is the baseline every installation starts from. Operators change
it through the web console's learning loop (bot/features/missed, bot/features/content_versions):
each publication is a version in the database holding an `Overlay`, today extra example
questions per intent. The content a process answers with is `apply_overlay(baseline, overlay)`.

Workers learn of a new version from the database (bot/published.py) and write the overlay to
`<data dir>/content-published.json`, so that commands with no database connection
(`trolyso match`, `eval`, `content check`) see what the workers answer with while staying
light: this module imports nothing but the standard library and the content package.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.loader import Content

__all__ = [
    "PUBLISHED_FILE",
    "Overlay",
    "apply_overlay",
    "read_published",
    "with_published",
    "write_published",
]

logger = logging.getLogger(__name__)
PUBLISHED_FILE = "content-published.json"
MAX_EXTRA_PER_INTENT = 500


@dataclass(frozen=True)
class Overlay:
    """Changes over the baseline. `version` 0 is the baseline itself (no changes)."""

    version: int = 0
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.examples.values())

    def as_json(self) -> dict[str, Any]:
        """The stored form (database row and file)."""
        return {"examples": {k: list(v) for k, v in sorted(self.examples.items()) if v}}

    @classmethod
    def from_json(cls, version: int, data: object) -> Overlay:
        """Read a stored overlay leniently: anything malformed is left out, never raised."""
        examples: dict[str, tuple[str, ...]] = {}
        raw = data.get("examples") if isinstance(data, dict) else None
        if isinstance(raw, dict):
            for intent, texts in raw.items():
                if isinstance(intent, str) and isinstance(texts, list):
                    kept = tuple(t for t in texts if isinstance(t, str) and t.strip())
                    examples[intent] = kept[:MAX_EXTRA_PER_INTENT]
        return cls(version, examples)

    def adding(self, intent: str, texts: list[str]) -> Overlay:
        """A copy with `texts` added to the intent's extra examples (the caller dedupes)."""
        examples = dict(self.examples)
        examples[intent] = (*examples.get(intent, ()), *texts)[:MAX_EXTRA_PER_INTENT]
        return Overlay(self.version, examples)


def apply_overlay(baseline: Content, overlay: Overlay | None) -> Content:
    """The baseline with the overlay's examples appended; ids the baseline lacks are skipped
    (an intent removed from the shipped content by an upgrade takes its extras with it)."""
    if overlay is None or overlay.empty:
        return baseline
    intents = dict(baseline.intents)
    for intent_id, extra in overlay.examples.items():
        intent = intents.get(intent_id)
        if intent is None:
            logger.warning("published examples for an unknown intent skipped: %s", intent_id)
            continue
        have = set(intent.examples)
        added = [text for text in extra if text not in have]
        if added:
            intents[intent_id] = intent.model_copy(update={"examples": [*intent.examples, *added]})
    return Content(
        intents=intents,
        config=baseline.config,
        messages=baseline.messages,
        lexicon=baseline.lexicon,
        support=baseline.support,
        warnings=baseline.warnings,
        root=baseline.root,
    )


def read_published(data_dir: Path) -> Overlay | None:
    """The overlay a worker last wrote to the data folder; None without one (or damaged)."""
    try:
        data = json.loads((Path(data_dir) / PUBLISHED_FILE).read_text(encoding="utf-8"))
        version = int(data["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Overlay.from_json(version, data)


def write_published(data_dir: Path, overlay: Overlay) -> None:
    """Write the overlay atomically (a reader never sees half a file); a read-only disk only
    leaves `trolyso match` on the previous version, so it is logged, not raised."""
    folder = Path(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".published-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump(
                {"version": overlay.version, **overlay.as_json()}, stream, ensure_ascii=False
            )
        os.replace(temporary, folder / PUBLISHED_FILE)
    except OSError as exc:
        logger.warning("published content file not written: %s", exc.__class__.__name__)


def with_published(baseline: Content, data_dir: Path) -> Content:
    """The content the workers answer with, as the data folder records it."""
    return apply_overlay(baseline, read_published(data_dir))
