"""The examples the fuzzy re-score compares a message with, in the form cheapest to compare.

rapidfuzz's `token_set_ratio` reads a text only as its set of words, sorted: it splits both
texts on whitespace, sorts the words and drops repeated ones before comparing. An example
given as its distinct words already sorted and joined by one space therefore scores exactly
as the example itself, and costs less: rapidfuzz's sort finds the words in order, and two
examples with the same words (the same question in another word order) are compared once.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["fuzzy_choices"]


def fuzzy_choices(keys: Iterable[str]) -> list[str]:
    """Each distinct word set of `keys` once, as its sorted words; shortest first.

    The fuzzy re-score keeps the best score so far as its cutoff and stops at 100: short
    examples, the likeliest to be wholly in a message, go first. The maximum is the same in
    any order. Examples with no words are kept out: rapidfuzz scores them 0, which the
    re-score's 0.0 for no example at all equals.
    """
    seen: dict[str, None] = {}
    for key in keys:
        words = key.split()
        if words:
            seen.setdefault(" ".join(sorted(set(words))))
    return sorted(seen, key=len)
