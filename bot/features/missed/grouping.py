"""Group missed questions that ask the same thing, the way the matcher reads them.

Each text is reduced to the matcher's own key (`intents.normalize.normalize` with the
content's lexicon: folded to unmarked lowercase, teencode expanded, fillers dropped, synonyms
rewritten), so "đổi sđt vneid" and "doi so dien thoai vneid" meet before any fuzzy step.
Keys are then compared with rapidfuzz's `token_set_ratio` (word order and extra words
forgiven); a question joins the group whose first key it matches best at SIMILAR or more,
else it starts a group. SIMILAR = 80 was chosen on Vietnamese variants with and without
diacritics (tests/features/missed/test_grouping.py): reworded questions on one subject
score 80-100; different subjects sharing words ("vneid", "hôm nay") score 72 at most.

A key of a single word is compared with `ratio` instead: token_set_ratio would score it 100
against any question containing that word, and one word is not yet a question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz

from intents import Matcher
from intents.lexicon import Lexicon
from intents.normalize import normalize
from storage.console_models import MissedQuestionRow

__all__ = ["SIMILAR", "Group", "group_missed", "similarity", "suggestions"]

SIMILAR = 80.0
SUGGESTED = 3
SAMPLE = 20  # questions of a group asked of the matcher for suggestions


@dataclass
class Group:
    """Missed questions that ask one thing; `rows` newest first."""

    key: str
    rows: list[MissedQuestionRow] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def first_seen(self) -> datetime:
        return min(row.at for row in self.rows)

    @property
    def last_seen(self) -> datetime:
        return max(row.at for row in self.rows)

    @property
    def ids(self) -> list[int]:
        return sorted(row.id for row in self.rows)

    @property
    def label(self) -> str:
        """The group's name: its most frequent wording, else its newest question."""
        texts = [row.text for row in self.rows]
        return max(texts, key=lambda text: (texts.count(text), -texts.index(text)))

    def texts(self) -> list[str]:
        """The distinct wordings, newest first."""
        return list(dict.fromkeys(row.text for row in self.rows))


def similarity(one: str, other: str) -> float:
    """How alike two normalised keys are, 0-100 (see the module's note on one-word keys)."""
    if " " not in one or " " not in other:
        return float(fuzz.ratio(one, other))
    return float(fuzz.token_set_ratio(one, other))


def group_missed(
    rows: Sequence[MissedQuestionRow], lexicon: Lexicon, threshold: float = SIMILAR
) -> list[Group]:
    """Groups of `rows`, biggest first (then the most recently seen)."""
    groups: list[Group] = []
    for row in rows:
        key = normalize(row.text, lexicon) or row.text.casefold()
        best, best_score = None, threshold
        for group in groups:
            score = 100.0 if group.key == key else similarity(key, group.key)
            if score >= best_score:
                best, best_score = group, score
                if score == 100.0:
                    break
        if best is None:
            best = Group(key)
            groups.append(best)
        best.rows.append(row)
    groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.key))
    return groups


def suggestions(group: Group, matcher: Matcher, limit: int = SUGGESTED) -> list[str]:
    """The intents the matcher leans to for the group's questions, best first: scores of every
    ranked candidate summed over a sample of the group's wordings."""
    totals: dict[str, float] = {}
    for text in group.texts()[:SAMPLE]:
        for candidate in matcher.match(text).ranked:
            totals[candidate.intent] = totals.get(candidate.intent, 0.0) + candidate.score
    return sorted(totals, key=lambda intent: (-totals[intent], intent))[:limit]
