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

import functools
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process

from content.loader import Content, Problem
from intents.bm25 import numpy_or_none
from intents.normalize import normalize

__all__ = ["find_collisions", "find_overdue_reviews", "find_unknown_local_blocks"]

NEAR_DUPLICATE = 95.0
RARE_WORDS = 3


def find_collisions(
    content: Content,
    near: float = NEAR_DUPLICATE,
    normalized: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[Problem]:
    """Yield one problem per example question shared (or nearly shared) by two intents.

    `normalized` gives each intent's example keys in order (`normalize` of each example), as
    the matcher's cached index holds them: they are not worked out again.
    """
    owners: dict[str, str] = {}
    keys: list[str] = []
    key_owner: list[str] = []
    originals: list[str] = []
    for intent in content.intents.values():
        seen: set[str] = set()
        given = normalized.get(intent.id) if normalized is not None else None
        if given is not None and len(given) != len(intent.examples):
            given = None
        for number, example in enumerate(intent.examples):
            key = normalize(example, content.lexicon) if given is None else given[number]
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
    whose length allows the ratio (|a - b| <= (1 - near/100) (a + b)). With numpy, those
    pairs are listed in arrays and most are ruled out by counting letters (`_vector_pairs`);
    the same pairs as `plain_near_pairs`, which scores every one (tests/content).
    """
    np = numpy_or_none()
    if np is None or len(keys) < 2 or not 0.0 < near <= 100.0:
        return plain_near_pairs(keys, owners, near)
    return _vector_pairs(np, keys, owners, near)


def plain_near_pairs(
    keys: Sequence[str], owners: Sequence[str], near: float = NEAR_DUPLICATE
) -> list[tuple[int, int]]:
    """`near_pairs` without numpy: for each key, a slice of each of its rarest words' keys
    sorted by length, scored by rapidfuzz in one call."""
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


# Pairs listed and filtered per batch: arrays of this many pairs stay in the processor's cache.
BATCH_PAIRS = 1 << 17
LETTER_KEYS = 4_096
_BYTES = (0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF)


def _vector_pairs(
    np: Any, keys: Sequence[str], owners: Sequence[str], near: float
) -> list[tuple[int, int]]:
    """`plain_near_pairs` in arrays. The pairs it would score are listed (by word, its holders
    sorted by length then number), and a pair is scored only if its keys' letter counts allow
    the ratio: a ratio of at least `near` is an Indel distance of at most slack (a + b), and
    each insertion or deletion changes one letter's count by one, so the summed differences of
    the counts (of groups of letters, counts capped at 255: never more) are at most that too.
    Pairs are ruled out only when that is impossible; the rest are scored as before."""
    count = len(keys)
    slack = 1.0 - near / 100.0
    stretch = (1.0 + slack) / (1.0 - slack)
    split = [key.split() for key in keys]
    vocabulary = sorted(set(itertools.chain.from_iterable(split)))  # word numbers by spelling
    number = dict(zip(vocabulary, range(len(vocabulary)), strict=True))
    size = max(len(vocabulary), 1)
    sizes = np.fromiter(map(len, split), dtype=np.int64, count=count)
    tokens = np.fromiter(
        map(number.__getitem__, itertools.chain.from_iterable(split)),
        dtype=np.int64,
        count=int(sizes.sum()),
    )
    # Each key's distinct words, as key * size + word, sorted.
    held = _distinct(np, np.repeat(np.arange(count, dtype=np.int64), sizes) * size + tokens)
    held_key, held_word = np.divmod(held, size)
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=count)
    numbers: dict[str, int] = {}
    owner = np.fromiter(
        (numbers.setdefault(o, len(numbers)) for o in owners), dtype=np.int64, count=count
    )
    holders = np.bincount(held_word, minlength=size)
    rank = np.empty(size, dtype=np.int64)  # words from rarest to commonest, ties by spelling
    rank[np.lexsort((np.arange(size), holders))] = np.arange(size)
    # Every word's holders, shortest first, then by number (as `plain_near_pairs` slices).
    span = int(lengths.max()) + 2
    order = np.argsort((held_word * span + lengths[held_key]) * count + held_key, kind="stable")
    holder = held_key[order]
    located = held_word[order] * span + lengths[holder]
    first = np.concatenate(([0], np.cumsum(holders)[:-1]))
    present = holders > 0
    holder_owner = owner[holder]
    shared = np.zeros(size, dtype=bool)
    shared[present] = np.minimum.reduceat(holder_owner, first[present]) != np.maximum.reduceat(
        holder_owner, first[present]
    )
    # Each key's RARE_WORDS rarest words, and the holders of each whose length allows it.
    by_rank = np.argsort(held_key * size + rank[held_word], kind="stable")
    starts = np.concatenate(([0], np.cumsum(np.bincount(held_key, minlength=count))[:-1]))
    chosen = by_rank[np.arange(len(held)) - starts[held_key[by_rank]] < RARE_WORDS]
    searcher, word = held_key[chosen], held_word[chosen]
    searcher, word = searcher[shared[word]], word[shared[word]]
    length = lengths[searcher].astype(np.float64)
    shortest = np.clip(np.ceil(length / stretch - 1e-9), 0, span - 1).astype(np.int64)
    longest = np.clip(np.floor(length * stretch + 1e-9), 0, span - 1).astype(np.int64)
    start = np.searchsorted(located, word * span + shortest, "left")
    widths = np.searchsorted(located, word * span + longest, "right") - start
    if not len(widths):
        return []  # no word of two owners
    coarse, fine = _letter_counts(np, keys)
    allowed = slack * lengths + 0.5  # half the distance a pair allows, and some rounding room
    found = []
    total = np.cumsum(widths)
    cuts = np.searchsorted(total, np.arange(BATCH_PAIRS, int(total[-1]), BATCH_PAIRS), "right")
    for low, high in itertools.pairwise([0, *cuts.tolist(), len(widths)]):
        width = widths[low:high]
        pairs = int(width.sum())
        if not pairs:
            continue
        one = np.repeat(searcher[low:high], width)
        offsets = np.repeat(start[low:high] - (np.cumsum(width) - width), width)
        two = holder[np.arange(pairs) + offsets]
        keep = _apart(np, coarse, one, two) <= allowed[one] + allowed[two]
        one, two = one[keep], two[keep]
        keep = owner[one] != owner[two]
        one, two = one[keep], two[keep]
        found.append(np.minimum(one, two) * count + np.maximum(one, two))
    candidates = _distinct(np, np.concatenate(found or [np.zeros(0, dtype=np.int64)]))
    firsts, seconds = np.divmod(candidates, count)
    keep = _apart(np, fine, firsts, seconds) <= allowed[firsts] + allowed[seconds]
    ratio = functools.partial(fuzz.ratio, score_cutoff=near)
    scores: dict[tuple[int, int], float] = {}
    for i, j in zip(firsts[keep].tolist(), seconds[keep].tolist(), strict=True):
        score = ratio(keys[i], keys[j])
        if score >= near:
            scores[(i, j)] = score
    ordered = sorted(scores.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))
    return [pair for pair, _ in ordered]


def _distinct(np: Any, values: Any) -> Any:
    """The distinct values, sorted (np.unique, several times slower on numpy 2.4)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _letter_counts(np: Any, keys: Sequence[str]) -> tuple[Any, Any]:
    """Each key's letter counts, capped at 255, packed eight to a 64-bit word: in 64 groups
    (each letter its own when the keys have at most 64) and in 8 coarser ones. Counted a few
    thousand keys at a time: small arrays (a large one's first use costs more than its sums)."""
    frequency: Any = np.zeros(0, dtype=np.int64)
    for low in range(0, len(keys), LETTER_KEYS):
        found = np.bincount(_letters(np, keys[low : low + LETTER_KEYS]))
        if len(found) > len(frequency):
            found[: len(frequency)] += frequency
            frequency = found
        else:
            frequency[: len(found)] += found
    used = np.flatnonzero(frequency)
    group = np.zeros(len(frequency), dtype=np.int64)
    # The commonest letters first, each to the least filled group (ties: the lowest).
    filled = [0] * 64
    for letter in used[np.argsort(-frequency[used], kind="stable")].tolist():
        chosen = filled.index(min(filled))
        group[letter] = chosen
        filled[chosen] += int(frequency[letter])
    fine = np.empty((len(keys), 64), dtype=np.uint8)
    coarse = np.empty((len(keys), 8), dtype=np.uint8)
    for low in range(0, len(keys), LETTER_KEYS):
        part = keys[low : low + LETTER_KEYS]
        lengths = np.fromiter(map(len, part), dtype=np.int64, count=len(part))
        owner = np.repeat(np.arange(len(part), dtype=np.int64) * 64, lengths)
        owner += group[_letters(np, part)]
        counts = np.bincount(owner, minlength=len(part) * 64).reshape(len(part), 64)
        fine[low : low + len(part)] = np.minimum(counts, 255)
        # Group g into coarse group g % 8.
        coarse[low : low + len(part)] = np.minimum(counts.reshape(-1, 8, 8).sum(axis=1), 255)
    return coarse.view(np.uint64), fine.view(np.uint64)


def _letters(np: Any, keys: Sequence[str]) -> Any:
    """The code points of the keys, one after another."""
    return np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _apart(np: Any, packed: Any, one: Any, two: Any) -> Any:
    """For each pair (one[k], two[k]), the summed differences of their packed counts."""
    low, middle, high = (np.uint64(mask) for mask in _BYTES)
    total = np.zeros(len(one), dtype=np.uint64)
    for column in packed.T:
        first, second = column[one].view(np.uint8), column[two].view(np.uint8)
        apart = (np.maximum(first, second) - np.minimum(first, second)).view(np.uint64)
        apart = (apart & low) + ((apart >> np.uint64(8)) & low)
        apart = (apart & middle) + ((apart >> np.uint64(16)) & middle)
        total += (apart & high) + (apart >> np.uint64(32))
    return total


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
