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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz, process

__all__ = ["BOUND_FROM_WORDS", "FuzzyExamples", "fuzzy_choices"]

# Margin between a bound and the best score before an example is skipped: the bound is worked
# out in numpy's float arithmetic, rapidfuzz's score in its own; they differ by far less.
MARGIN = 1e-6

# Distinct words of the message from which the bounds are worked out: every message. With
# letter counts they leave about 6 of an intent's ~57 examples to score against a short
# message, where scoring them all in one extractOne call cost 3x more (at 2,000 intents).
BOUND_FROM_WORDS = 1


def fuzzy_choices(keys: Iterable[str]) -> list[str]:
    """Each distinct word set of `keys` once, as its sorted words; shortest first.

    Examples with no words are kept out: rapidfuzz scores them 0, which the re-score's 0.0 for
    no example at all equals.
    """
    seen: dict[str, None] = {}
    for key in keys:
        words = key.split()
        if words:
            seen.setdefault(" ".join(sorted(set(words))))
    return sorted(seen, key=len)


class FuzzyExamples:
    """One intent's examples, ready for `best`: their words as numbers, and their lengths."""

    def __init__(self, keys: Iterable[str], numpy: Any) -> None:
        self.np = np = numpy
        self.choices = fuzzy_choices(keys)
        if np is None:  # pragma: no cover - numpy is a dependency; this guards a bare install
            return
        self.number: dict[str, int] = {}
        flat: list[int] = []
        starts: list[int] = []
        for choice in self.choices:
            starts.append(len(flat))
            flat.extend(self.number.setdefault(w, len(self.number)) for w in choice.split())
        self.flat = np.asarray(flat, dtype=np.intp)
        self.starts = np.asarray(starts, dtype=np.intp)
        # Each word's length plus its space, by number; each choice's joined length.
        self.spaced = np.asarray([len(w) + 1 for w in self.number], dtype=np.float64)
        self.lengths = np.asarray([len(c) for c in self.choices], dtype=np.float64)
        # Each choice's words, less one (its spaces), and its length plus one (its words'
        # spaced lengths); its count of each letter it uses.
        self.spaces = np.asarray([len(c.split()) - 1 for c in self.choices], dtype=np.int32)
        self.spaced_lengths = self.lengths + 1.0
        self.shortened = self.lengths - 1.0
        self.alphabet = sorted(set("".join(self.choices)) - {" "})
        self.letters = np.asarray(
            [[choice.count(c) for c in self.alphabet] for choice in self.choices],
            dtype=np.int32,
        ).reshape(len(self.choices), len(self.alphabet))

    def bounds(
        self, words: Sequence[str], joined: str, letters: Mapping[str, int] | None = None
    ) -> Any:
        """An upper bound of every choice's token_set_ratio against the message `joined`, the
        distinct `words` joined by spaces (a choice that holds them all, or all of whose words
        are among them, is only recognised as such when they are distinct); `letters`: how
        many times each character is in `joined` (counted here when not given)."""
        np = self.np
        size = len(joined)
        count = joined.count if letters is None else letters.get
        # The whole texts' longest common subsequence is at most, of each letter, the fewer
        # of the message's and the choice's, plus the fewer of their spaces.
        common = np.minimum(self.letters, [count(c) or 0 for c in self.alphabet]).sum(axis=1)
        common += np.minimum(self.spaces, len(words) - 1)
        bound = common * 200.0
        bound /= self.lengths + size
        number = self.number.get
        positions = [position for word in words if (position := number(word)) is not None]
        if not positions:
            # I is empty: its ratios are 0 and 100 is out of reach; the Indel ratio is left.
            return bound
        shared = np.zeros(len(self.number), dtype=np.float64)
        shared[positions] = self.spaced[positions]
        # The shared words' lengths plus a space each: I's length + 1, 0 when I is empty.
        spaced = np.add.reduceat(shared[self.flat], self.starts)
        # The ratio of I against the shorter of "I A" and "I B": 2 * len(I) over len(I) + m
        # (or + e); below 0 when I is empty (the denominator then kept from 0).
        sect = np.minimum(self.shortened, size - 1.0)
        sect += spaced
        np.maximum(sect, 1.0, out=sect)
        np.divide(spaced * 200.0 - 200.0, sect, out=sect)
        np.maximum(bound, sect, out=bound)
        # One word set within the other: I is the whole message, or the whole choice.
        bound[(spaced == size + 1.0) | (spaced == self.spaced_lengths)] = 100.0
        return bound

    def best(
        self,
        words: Sequence[str],
        joined: str,
        bound_from: int = BOUND_FROM_WORDS,
        letters: Mapping[str, int] | None = None,
    ) -> float:
        """The highest token_set_ratio of `joined` (the distinct `words`, sorted and joined by
        spaces) against the choices, in [0, 100]; 0.0 when there is none. `letters`: as for
        `bounds`."""
        if not self.choices or not words:
            return 0.0
        if self.np is None or len(words) < bound_from:  # every choice scored
            found = process.extractOne(
                joined, self.choices, scorer=fuzz.token_set_ratio, processor=None
            )
            return float(found[1]) if found else 0.0
        found_bounds = self.bounds(words, joined, letters)
        order = self.np.argsort(-found_bounds, kind="stable").tolist()
        bounds = found_bounds.tolist()
        best = 0.0
        choices = self.choices
        for index in order:
            if bounds[index] + MARGIN < best:
                break  # no choice left can reach the best score
            score = fuzz.token_set_ratio(joined, choices[index], processor=None, score_cutoff=best)
            if score > best:
                best = score
                if best >= 100.0:
                    break
        return best
