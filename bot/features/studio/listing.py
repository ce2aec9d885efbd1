"""The studio's list of intents: search by id, title or example, with the age of each review.

Searching folds like the matcher does (`intents.normalize.fold`: no marks, đ→d, lowercase),
so "dang nhap" finds "Đăng nhập"; every word of the query must be found in one intent.
Intents whose id or title hold every word come first, then those found by an example; within
each, the topics in the schema's order (as the bot's menu shows them), then ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from content.schema import TOPICS, Intent
from intents.normalize import fold

__all__ = ["Row", "rows_of"]

MAX_QUERY = 120
_FOLDED: dict[int, tuple[Intent, str]] = {}  # id(intent) -> (intent, its folded examples)
_FOLDED_LIMIT = 4096


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


def _examples(intent: Intent) -> str:
    """The intent's examples folded, kept while the intent object lives (a version's content
    is kept by the process until the next one): folding them all costs ~150 ms a search."""
    found = _FOLDED.get(id(intent))
    if found is not None and found[0] is intent:
        return found[1]
    if len(_FOLDED) >= _FOLDED_LIMIT:
        _FOLDED.clear()
    folded = fold(" ".join(intent.examples))
    _FOLDED[id(intent)] = (intent, folded)
    return folded


def _name(intent: Intent) -> str:
    return fold(f"{intent.id.replace('.', ' ').replace('_', ' ')} {intent.id} {intent.title}")


def rows_of(
    intents: Iterable[Intent],
    today: date,
    query: str = "",
    topic: str = "",
    edited: Iterable[str] = (),
) -> list[Row]:
    """The intents matching `query` (every folded word) and `topic`, best matches first."""
    words = fold(query[:MAX_QUERY]).split()
    changed = set(edited)
    found: list[tuple[int, int, Row]] = []
    for intent in intents:
        if topic and intent.topic != topic:
            continue
        rank = 0
        if words:
            name = _name(intent)
            if not all(word in name for word in words):
                rank = 1
                examples = _examples(intent)
                if not all(word in name or word in examples for word in words):
                    continue
        row = Row(
            intent.id,
            intent.title,
            intent.topic,
            len(intent.examples),
            intent.reviewed,
            intent.review_by,
            intent.review_by < today,
            intent.id in changed,
        )
        found.append((rank, TOPICS.index(intent.topic), row))
    found.sort(key=lambda item: (item[0], item[1], item[2].id))
    return [row for _, _, row in found]
