"""The published overlay: what operators added on top of the shipped content, and its file.

The shipped `content/` YAML is the baseline every installation starts from. Operators change
it through the web console's learning loop (bot/features/missed, bot/features/content_versions):
each publication is a version in the database holding an `Overlay`: extra example questions
per intent (the learning loop), and whole intents written in the content studio or imported
from a file, each replacing the shipped intent of that id or adding a new one. The content a
process answers with is `apply_overlay(baseline, overlay)`.

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

from pydantic import ValidationError

from content.loader import Content
from content.schema import Intent

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
    # Whole intents by id, in the schema's JSON form (`Intent.model_dump(mode="json")`): each
    # replaces the shipped intent of that id, or adds one the baseline lacks.
    intents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.examples.values()) and not self.intents

    def as_json(self) -> dict[str, Any]:
        """The stored form (database row and file)."""
        data: dict[str, Any] = {
            "examples": {k: list(v) for k, v in sorted(self.examples.items()) if v}
        }
        if self.intents:
            data["intents"] = {k: dict(v) for k, v in sorted(self.intents.items())}
        return data

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
        records: dict[str, Mapping[str, Any]] = {}
        raw_intents = data.get("intents") if isinstance(data, dict) else None
        if isinstance(raw_intents, dict):
            for intent_id, record in raw_intents.items():
                if isinstance(intent_id, str) and isinstance(record, dict):
                    records[intent_id] = record
        return cls(version, examples, records)

    def adding(self, intent: str, texts: list[str]) -> Overlay:
        """A copy with `texts` added to the intent's extra examples (the caller dedupes)."""
        examples = dict(self.examples)
        examples[intent] = (*examples.get(intent, ()), *texts)[:MAX_EXTRA_PER_INTENT]
        return Overlay(self.version, examples, self.intents)

    def replacing(self, intent: Intent) -> Overlay:
        """A copy in which `intent` (already validated) replaces or adds the intent of its id.
        Extra examples kept for that id stay and are appended to it."""
        records = dict(self.intents)
        records[intent.id] = intent.model_dump(mode="json")
        return Overlay(self.version, self.examples, records)


def apply_overlay(baseline: Content, overlay: Overlay | None) -> Content:
    """The baseline with the overlay's whole intents put in place, then its examples appended.
    Extra examples of ids the result lacks are skipped (an intent removed from the shipped
    content by an upgrade takes its extras with it); a stored intent that no longer passes the
    schema (the schema grew stricter) is skipped with a warning, the shipped one kept."""
    if overlay is None or overlay.empty:
        return baseline
    intents = dict(baseline.intents)
    for intent_id, record in overlay.intents.items():
        try:
            whole = Intent.model_validate(record)
        except ValidationError:
            logger.warning("published intent no longer valid, skipped: %s", intent_id)
            continue
        if whole.id == intent_id:
            intents[intent_id] = whole
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
