"""Checks across intents that need normalization: example questions two intents share.

Two intents with the same example (after folding and teencode) make the matcher guess; near
copies make it unstable. Exact collisions are errors, near ones warnings.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from rapidfuzz import fuzz, process

from content.loader import Content, Problem
from intents.normalize import normalize

__all__ = ["find_collisions", "find_overdue_reviews"]

NEAR_DUPLICATE = 95.0


def find_collisions(content: Content, near: float = NEAR_DUPLICATE) -> Iterator[Problem]:
    """Yield one problem per example question shared (or nearly shared) by two intents."""
    owners: dict[str, str] = {}
    keys: list[str] = []
    key_owner: list[str] = []
    originals: list[str] = []
    for intent in content.intents.values():
        seen: set[str] = set()
        for example in intent.examples:
            key = normalize(example, content.lexicon)
            if not key:
                yield Problem(
                    file="content/faq",
                    intent=intent.id,
                    field="examples",
                    message=f"example {example!r} has no words left after normalization",
                )
                continue
            if key in seen:
                continue  # the same question with and without diacritics: harmless
            seen.add(key)
            other = owners.get(key)
            if other is not None and other != intent.id:
                yield Problem(
                    file="content/faq",
                    intent=intent.id,
                    field="examples",
                    message=f"example {example!r} collides with an example of {other!r}",
                )
                continue
            owners[key] = intent.id
            keys.append(key)
            key_owner.append(intent.id)
            originals.append(example)
    if len(keys) < 2:
        return
    for i, key in enumerate(keys):
        # extract() loops in C; without numpy this is the cheap way to compare all pairs.
        for _, _, j in process.extract(
            key, keys, scorer=fuzz.ratio, score_cutoff=near, limit=None
        ):
            if j <= i or key_owner[i] == key_owner[j]:
                continue
            yield Problem(
                file="content/faq",
                intent=key_owner[j],
                field="examples",
                severity="warning",
                message=(
                    f"example {originals[j]!r} is nearly the same as {originals[i]!r} "
                    f"of {key_owner[i]!r}"
                ),
            )


def find_overdue_reviews(content: Content, today: date) -> Iterator[Problem]:
    """Warn for every answer whose `review_by` date has passed: a person must re-check it."""
    for intent in content.intents.values():
        if intent.review_by < today:
            yield Problem(
                file="content/faq",
                intent=intent.id,
                field="review_by",
                severity="warning",
                message=(
                    f"the answer was due for review on {intent.review_by:%Y-%m-%d} "
                    f"(last checked {intent.reviewed:%Y-%m-%d}); check it against its sources, "
                    "then update reviewed and review_by"
                ),
            )
