"""The fuzzy re-score: the best `token_set_ratio` of a message against an intent's examples.

rapidfuzz's `token_set_ratio` reads a text only as its set of words, sorted: it splits both
texts on whitespace, sorts the words and drops repeated ones before comparing. An example
given as its distinct words already sorted and joined by one space therefore scores exactly
as the example itself, and costs less; two examples with the same words are compared once.

Most of its cost is per example (~2.5 us against a long message), and only the best score
counts. With I = the shared words, A = the message's other words and B = the example's, each
joined by spaces, rapidfuzz's score is the highest of: the Indel ratio of A against B over the
lengths of "I A" and "I B"; and the ratios of I against "I A" and against "I B", which depend on
the lengths only; and 100 when I is not empty and A or B is. The Indel distance of A and B is at
least the difference of their lengths, so every example has an upper bound worked out from the
lengths of its words alone, for all examples at once with numpy. Examples are scored in order
of their bound, and the rest skipped once the best score so far is above the next bound: the
maximum is exactly the one of scoring them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz, process

__all__ = ["BOUND_FROM_WORDS", "FuzzyExamples", "fuzzy_choices"]

# Margin between a bound and the best score before an example is skipped: the bound is worked
# out in numpy's float arithmetic, rapidfuzz's score in its own; they differ by far less.
MARGIN = 1e-6

# Distinct words of the message from which the bounds are worked out: against a short message
# most examples come close to the best score, and scoring them all in one call is cheaper.
BOUND_FROM_WORDS = 16


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

    def bounds(self, words: Sequence[str], joined: str) -> Any:
        """An upper bound of every choice's token_set_ratio against the message `joined`, the
        distinct `words` joined by spaces."""
        np = self.np
        shared = np.zeros(len(self.number), dtype=np.float64)
        number = self.number.get
        for word in words:
            found = number(word)
            if found is not None:
                shared[found] = self.spaced[found]
        # The shared words' lengths plus a space each: I's length + 1, 0 when I is empty.
        spaced = np.add.reduceat(shared[self.flat], self.starts)
        sect = np.maximum(spaced - 1.0, 0.0)
        a = np.maximum(len(joined) - spaced, 0.0)
        b = np.maximum(self.lengths - spaced, 0.0)
        # "I A" is sect + 1 + a long when I is not empty, else a: spaced + a either way. A
        # message and a choice are never empty, so no length below is 0. When I is empty,
        # the ratios of I come out below 0, under the Indel bound (never below 0).
        ia, ib = spaced + a, spaced + b
        bound = 100.0 * (1.0 - np.abs(a - b) / (ia + ib))
        bound = np.maximum(bound, 100.0 * (1.0 - (1.0 + a) / (sect + ia)))
        bound = np.maximum(bound, 100.0 * (1.0 - (1.0 + b) / (sect + ib)))
        bound[np.minimum(a, b) == 0.0] = 100.0  # one word set within the other
        return bound

    def best(self, words: Sequence[str], joined: str, bound_from: int = BOUND_FROM_WORDS) -> float:
        """The highest token_set_ratio of `joined` (the distinct `words`, sorted and joined by
        spaces) against the choices, in [0, 100]; 0.0 when there is none."""
        if not self.choices or not words:
            return 0.0
        if self.np is None or len(words) < bound_from:  # every choice scored
            found = process.extractOne(
                joined, self.choices, scorer=fuzz.token_set_ratio, processor=None
            )
            return float(found[1]) if found else 0.0
        found_bounds = self.bounds(words, joined)
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
