"""Checks across intents that need normalization: example questions two intents share.

Two intents with the same example (after folding and teencode) make the matcher guess; near
copies make it unstable. Exact collisions are errors, near ones warnings.

Near copies are not searched among all pairs of examples (100,000 examples are 5 billion
pairs: over half an hour): two examples at `fuzz.ratio` 95 or more differ by a few letters, so
they share nearly all their words, and nearly always one of the rarest words of either. Each
example is compared only with the examples that hold one of its `RARE_WORDS` rarest words (the
fewer examples a word is in, the rarer) and whose length allows the ratio at all. On the shipped
content this finds what all pairs find; on it with 3,000 copies given random typos, 99.6 % of
the pairs all pairs find (tests/content/test_near_duplicates.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from datetime import date

from rapidfuzz import fuzz, process

from content.loader import Content, Problem
from intents.normalize import normalize

__all__ = ["find_collisions", "find_overdue_reviews", "find_unknown_local_blocks"]

NEAR_DUPLICATE = 95.0
RARE_WORDS = 3


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
    for i, j in near_pairs(keys, key_owner, near):
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


def near_pairs(
    keys: Sequence[str], owners: Sequence[str], near: float = NEAR_DUPLICATE
) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of keys of different owners with `fuzz.ratio` >= `near`, in the
    order an all-pairs scan lists them: by i, then best first, then by j.

    Each key is compared with the keys that contain one of its `RARE_WORDS` rarest words and
    whose length allows the ratio (|a - b| <= (1 - near/100) (a + b)): a slice of that word's
    keys sorted by length, scored by rapidfuzz in one call.
    """
    slack = 1.0 - near / 100.0
    stretch = (1.0 + slack) / (1.0 - slack)  # the longest partner's length over a key's
    by_length = sorted(range(len(keys)), key=lambda n: (len(keys[n]), n))
    words = [set(key.split()) for key in keys]
    holders: dict[str, list[int]] = {}  # word -> the keys with it, shortest first
    for number in by_length:
        for word in words[number]:
            holders.setdefault(word, []).append(number)
    # Words from rarest to commonest (ties by spelling, so the choice never varies).
    rank = {word: n for n, word in enumerate(sorted(holders, key=lambda w: (len(holders[w]), w)))}
    # A word all of whose keys belong to one intent can pair no two intents: not searched
    # (though still one of a key's rarest, so that a key is not searched by more words).
    shared = {word for word, found in holders.items() if len({owners[n] for n in found}) > 1}
    texts = {word: [keys[n] for n in holders[word]] for word in shared}
    lengths = {word: [len(text) for text in texts[word]] for word in shared}
    scores: dict[tuple[int, int], float] = {}
    for i, key in enumerate(keys):
        size = len(key)
        shortest, longest = size / stretch - 1e-9, size * stretch + 1e-9
        for word in sorted(words[i], key=rank.__getitem__)[:RARE_WORDS]:
            if word not in shared:
                continue
            start = bisect_left(lengths[word], shortest)
            end = bisect_right(lengths[word], longest)
            if end - start < 2:
                continue  # only the key itself
            found = holders[word]
            for _, score, at in process.extract(
                key, texts[word][start:end], scorer=fuzz.ratio, score_cutoff=near, limit=None
            ):
                j = found[start + at]
                if j != i and owners[j] != owners[i]:
                    scores[(min(i, j), max(i, j))] = score
    ordered = sorted(scores.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))
    return [pair for pair, _ in ordered]


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


def find_unknown_local_blocks(content: Content) -> Iterator[Problem]:
    """`local_blocks` of content/config.yaml naming an intent the FAQ does not have: an error
    (a typo there silently leaves an answer without its local details)."""
    for intent_id in content.config.local_blocks:
        if intent_id not in content.intents:
            yield Problem(
                file="content/config.yaml",
                field="local_blocks",
                message=f"unknown intent {intent_id!r}: no answer would get this block",
            )
