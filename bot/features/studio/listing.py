"""The studio's list of intents: search by id, title or example, marks and marks of age.

Searching folds like the matcher does (`intents.normalize.fold`: no marks, đ→d, lowercase),
so "dang nhap" finds "Đăng nhập"; every word of the query must be found in one intent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from content.schema import Intent
from intents.normalize import fold

__all__ = ["Row", "rows_of"]

MAX_QUERY = 120


@dataclass(frozen=True)
class Row:
    """One intent in the list."""

    id: str
    title: str
    topic: str
    examples: int
    reviewed: date
    review_by: date
    overdue: bool
    edited: bool  # published from the console (a whole intent in the overlay)


def _haystack(intent: Intent) -> str:
    return fold(" ".join([intent.id.replace(".", " "), intent.id, intent.title, *intent.examples]))


def rows_of(
    intents: Iterable[Intent],
    today: date,
    query: str = "",
    topic: str = "",
    edited: Iterable[str] = (),
) -> list[Row]:
    """The intents matching `query` (every folded word) and `topic`, by topic then id."""
    words = fold(query[:MAX_QUERY]).split()
    changed = set(edited)
    found: list[Row] = []
    for intent in intents:
        if topic and intent.topic != topic:
            continue
        if words:
            haystack = _haystack(intent)
            if not all(word in haystack for word in words):
                continue
        found.append(
            Row(
                intent.id,
                intent.title,
                intent.topic,
                len(intent.examples),
                intent.reviewed,
                intent.review_by,
                intent.review_by < today,
                intent.id in changed,
            )
        )
    found.sort(key=lambda row: (row.topic, row.id))
    return found
