"""The fuzzy re-score: the best `token_set_ratio` of a message against an intent's examples.

rapidfuzz's `token_set_ratio` reads a text only as its set of words, sorted: it splits both
texts on whitespace, sorts the words and drops repeated ones before comparing. An example
given as its distinct words already sorted and joined by one space therefore scores exactly
as the example itself, and costs less; two examples with the same words are compared once.

Most of its cost is per example (~2.5 us against a long message), and only the best score
counts. With I = the shared words, A = the message's other words and B = the example's, each
joined by spaces, rapidfuzz's score is the highest of: the Indel ratio of A against B over the
lengths of "I A" and "I B"; and the ratios of I against "I A" and against "I B", which depend on
the lengths only; and 100 when I is not empty and A or B is. "I A" is as long as the message
(m characters), "I B" as the example (e): the Indel ratio is 100 * (1 - (a + b - 2 * lcs) /
(m + e)), with a, b the lengths of A and B and lcs their longest common subsequence. That has
at most, of each letter, the fewer of A's and B's, and one space fewer than the fewer words of
A and B; adding I (in both) to each count: lcs + (m - a) <= the sum over letters of the fewer of
the message's and the example's, plus the fewer of their words, minus 1. So the Indel ratio is
at most 200 * that bound of the whole texts' common subsequence / (m + e), and every example has
an upper bound worked out from counts of its letters and its words' lengths, for all examples at
once with numpy. Examples are scored in order of their bound, and the rest skipped once the best
score so far is above the next bound: the maximum is exactly the one of scoring them all.

A message's few candidate intents are bounded together (`FuzzyIndex.best`): numpy's cost is
mostly per call, not per number, so one pass over all their examples costs about what one
intent's did. Words are numbered across intents, letters counted over one alphabet.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz, process

from intents.bm25 import numpy_or_none

__all__ = [
    "ALPHABET",
    "BOUND_FROM_WORDS",
    "FuzzyExamples",
    "FuzzyIndex",
    "fuzzy_choices",
    "fuzzy_index",
    "letter_counts",
    "letter_table",
]

# Margin between a bound and the best score before an example is skipped: the bound is worked
# out in numpy's float arithmetic, rapidfuzz's score in its own; they differ by far less.
MARGIN = 1e-6

# Distinct words of the message from which the bounds are worked out: every message. With
# letter counts they leave about 6 of an intent's ~57 examples to score against a short
# message, where scoring them all in one extractOne call cost 3x more (at 2,000 intents).
BOUND_FROM_WORDS = 1

# The letters counted one by one (folded text has no others); any other character is counted
# in one more column, which can only raise a bound (the fewer of two sums is at least the sum
# of the fewer of their parts).
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def fuzzy_choices(keys: Iterable[str]) -> list[str]:
    """Each distinct word set of `keys` once, as its sorted words; shortest first.

    Examples with no words are kept out: rapidfuzz scores them 0, which the re-score's 0.0 for
    no example at all equals.
    """
    return list(_choice_words(keys))


def _choice_words(keys: Iterable[str]) -> dict[str, list[str]]:
    """`fuzzy_choices`, each with its words."""
    seen: dict[str, list[str]] = {}
    for key in keys:
        words = key.split()
        if words:
            distinct = sorted(set(words))
            seen.setdefault(" ".join(distinct), distinct)
    return {choice: seen[choice] for choice in sorted(seen, key=len)}


def letter_counts(text: str) -> list[int]:
    """How many times each letter of ALPHABET is in `text`, then how many other characters
    (spaces aside)."""
    counts = [text.count(letter) for letter in ALPHABET]
    counts.append(len(text) - text.count(" ") - sum(counts))
    return counts


def letter_table(texts: Sequence[str], np: Any) -> Any:
    """`letter_counts` of each text, as the rows of a numpy array: counted for all at once
    when they are ASCII (folded text is), else one by one."""
    joined = " ".join(texts)
    if not joined.isascii():
        return np.asarray([letter_counts(text) for text in texts], dtype=np.int64).reshape(
            len(texts), len(ALPHABET) + 1
        )
    width = len(ALPHABET) + 2  # the letters, the others, and the space (left out)
    column = np.full(128, len(ALPHABET), dtype=np.intp)
    column[[ord(letter) for letter in ALPHABET]] = np.arange(len(ALPHABET))
    column[ord(" ")] = len(ALPHABET) + 1
    lengths = np.asarray([len(text) + 1 for text in texts], dtype=np.intp)
    owner = np.repeat(np.arange(len(texts)), lengths)[: len(joined)]  # each text's space after
    found = column[np.frombuffer(joined.encode("ascii"), dtype=np.uint8)]
    table = np.bincount(owner * width + found, minlength=len(texts) * width)
    return table.reshape(len(texts), width)[:, :-1]


class FuzzyIndex:
    """What the intents' examples share for the re-score: the numbers of their words.

    Numbers are given under a lock, and a word is numbered only once its length is kept: a
    matcher may be used from two threads (the publication gate scores the live one), and two
    words with one number would make a bound too low."""

    def __init__(self, numpy: Any) -> None:
        self.np = numpy
        self.number: dict[str, int] = {}
        self.spaced: list[float] = []  # each word's length plus its space, by number
        self._lock = threading.Lock()

    def examples(self, keys: Iterable[str]) -> FuzzyExamples:
        """One intent's examples, their words numbered here."""
        return FuzzyExamples(keys, self.np, self)

    def numbers(self, words: Sequence[str]) -> list[int]:
        """The words' numbers, new ones given to words never seen."""
        number = self.number
        new = [word for word in dict.fromkeys(words) if word not in number]
        if new:
            with self._lock:
                for word in new:
                    if word not in number:
                        self.spaced.append(len(word) + 1.0)
                        number[word] = len(self.spaced) - 1
        return list(map(number.__getitem__, words))

    def bounds(self, groups: Sequence[FuzzyExamples], words: Sequence[str], joined: str) -> Any:
        """An upper bound of the token_set_ratio of every choice of the `groups` (one after
        another) against the message `joined`, the distinct `words` joined by spaces (a choice
        that holds them all, or all of whose words are among them, is only recognised as such
        when they are distinct). Every group has choices."""
        np = self.np
        if len(groups) == 1:
            first = groups[0]
            letters, lengths, spaces = first.letters, first.lengths, first.spaces
            flat, starts = first.flat, first.starts
        else:
            letters = np.concatenate([group.letters for group in groups])
            lengths = np.concatenate([group.lengths for group in groups])
            spaces = np.concatenate([group.spaces for group in groups])
            flat = np.concatenate([group.flat for group in groups])
            offsets = [0]
            for group in groups[:-1]:
                offsets.append(offsets[-1] + len(group.flat))
            starts = np.concatenate(
                [group.starts + offset for group, offset in zip(groups, offsets, strict=True)]
            )
        size = len(joined)
        # The whole texts' longest common subsequence is at most, of each letter, the fewer
        # of the message's and the choice's, plus the fewer of their spaces.
        common = np.minimum(letters, letter_counts(joined)).sum(axis=1)
        common += np.minimum(spaces, len(words) - 1)
        bound = common * 200.0
        bound /= lengths + size
        number = self.number.get
        positions = [position for word in words if (position := number(word)) is not None]
        if not positions:
            # I is empty: its ratios are 0 and 100 is out of reach; the Indel ratio is left.
            return bound
        shared = np.zeros(len(self.number), dtype=np.float64)
        shared[positions] = [self.spaced[position] for position in positions]
        # The shared words' lengths plus a space each: I's length + 1, 0 when I is empty.
        spaced = np.add.reduceat(shared[flat], starts)
        # The ratio of I against the shorter of "I A" and "I B": 2 * len(I) over len(I) + m
        # (or + e); below 0 when I is empty (the denominator then kept from 0).
        sect = np.minimum(lengths, size)
        sect += spaced
        sect -= 1.0
        np.maximum(sect, 1.0, out=sect)
        np.divide(spaced * 200.0 - 200.0, sect, out=sect)
        np.maximum(bound, sect, out=bound)
        # One word set within the other: I is the whole message, or the whole choice.
        bound[(spaced == size + 1.0) | (spaced == lengths + 1.0)] = 100.0
        return bound

    def best(
        self,
        groups: Sequence[FuzzyExamples],
        words: Sequence[str],
        joined: str,
        bound_from: int = BOUND_FROM_WORDS,
    ) -> list[float]:
        """Each group's highest token_set_ratio of `joined` (the distinct `words`, sorted and
        joined by spaces) against its choices, in [0, 100]; 0.0 for a group with none."""
        np = self.np
        live = [group for group in groups if group.choices] if words else []
        if not live:
            return [0.0] * len(groups)
        if np is None or len(words) < bound_from:  # every choice scored
            found = {id(group): group.every(joined) for group in live}
            return [found.get(id(group), 0.0) for group in groups]
        found_bounds = self.bounds(live, words, joined)
        if len(live) == 1:
            order = np.argsort(-found_bounds, kind="stable").tolist()
        else:
            owner = np.repeat(np.arange(len(live)), [len(group.choices) for group in live])
            order = np.lexsort((-found_bounds, owner)).tolist()  # by group, highest first
        bounds = found_bounds.tolist()
        scores: dict[int, float] = {}
        start = 0
        for group in live:
            end = start + len(group.choices)
            best = 0.0
            choices = group.choices
            for index in order[start:end]:
                if bounds[index] + MARGIN < best:
                    break  # no choice left can reach the best score
                score = fuzz.token_set_ratio(
                    joined, choices[index - start], processor=None, score_cutoff=best
                )
                if score > best:
                    best = score
                    if best >= 100.0:
                        break
            scores[id(group)] = best
            start = end
        return [scores.get(id(group), 0.0) for group in groups]


def fuzzy_index() -> FuzzyIndex:
    """An index with numpy when it is installed (always: it is a dependency)."""
    return FuzzyIndex(numpy_or_none())


class FuzzyExamples:
    """One intent's examples, ready for `FuzzyIndex.best`: their words as numbers, their
    lengths and their letters' counts."""

    def __init__(self, keys: Iterable[str], numpy: Any, index: FuzzyIndex | None = None) -> None:
        self.np = np = numpy
        self.index = index = index or FuzzyIndex(numpy)
        found = _choice_words(keys)
        self.choices = list(found)
        if np is None:  # pragma: no cover - numpy is a dependency; this guards a bare install
            return
        split = list(found.values())
        sizes = [len(words) for words in split]
        flat = index.numbers(list(itertools.chain.from_iterable(split)))
        starts = [0] if sizes else []
        for size in sizes[:-1]:
            starts.append(starts[-1] + size)
        self.flat = np.asarray(flat, dtype=np.intp)
        self.starts = np.asarray(starts, dtype=np.intp)
        # Each choice's joined length; its words, less one (its spaces); its letters' counts.
        self.lengths = np.asarray([len(c) for c in self.choices], dtype=np.float64)
        self.spaces = np.asarray(sizes, dtype=np.int32) - 1
        counts = letter_table(self.choices, np)
        self.letters = counts.astype(np.uint8 if counts.max(initial=0) < 256 else np.int32)

    def every(self, joined: str) -> float:
        """The highest token_set_ratio of `joined` against every choice, each scored."""
        found = process.extractOne(
            joined, self.choices, scorer=fuzz.token_set_ratio, processor=None
        )
        return float(found[1]) if found else 0.0

    def bounds(self, words: Sequence[str], joined: str) -> Any:
        """An upper bound of every choice's token_set_ratio (`FuzzyIndex.bounds`)."""
        return self.index.bounds([self], words, joined)

    def best(self, words: Sequence[str], joined: str, bound_from: int = BOUND_FROM_WORDS) -> float:
        """The highest token_set_ratio of `joined` (the distinct `words`, sorted and joined by
        spaces) against the choices, in [0, 100]; 0.0 when there is none."""
        return self.index.best([self], words, joined, bound_from)[0]
