"""What both file formats read into: intents as plain records, each able to say where any
of its fields came from, and the problems found, each with its place in the file.

A record has the fields of `content.schema.Intent`; `locate` turns a pydantic error location
(("examples", 3), ("sources", 0, "url")...) into "sheet, row, column" (XLSX) or
"file, line, field" (YAML), so every format's problems read the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FIELDS", "Draft", "Problem", "Refused"]

# The fields of an intent, in the schema's (and the files') order.
FIELDS = (
    "id",
    "topic",
    "title",
    "examples",
    "answer",
    "follow_ups",
    "sources",
    "reviewed",
    "review_by",
)

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is (`place`), and for which intent when known."""

    place: str
    message: str
    intent: str | None = None

    def __str__(self) -> str:
        who = f"«{self.intent}»: " if self.intent else ""
        return f"{self.place}: {who}{self.message}"


class Refused(Exception):
    """The whole file cannot be read (size, format, a zip bomb); the message is for a person."""


@dataclass
class Draft:
    """One intent as the file gives it, not yet validated."""

    record: dict[str, Any]
    locate: Callable[[Loc], str]
    # Where each example came from, by its text (for the content checks' problems).
    example_places: dict[str, str] = field(default_factory=dict)
