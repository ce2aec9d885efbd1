"""Okapi BM25 over syllable unigrams and bigrams, one document per intent.

Pure Python with dict postings: at FAQ size (tens to a few thousand intents) a query touches a
handful of short postings lists, which is faster than numpy set-up and needs no dependency.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["BM25Index", "terms_of"]


def terms_of(words: Sequence[str]) -> list[str]:
    """Syllable unigrams plus adjacent bigrams ("mat khau" -> mat, khau, mat_khau)."""
    return [*words, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]


class BM25Index:
    """BM25 scores of a query against a fixed set of documents (each a bag of terms)."""

    def __init__(self, documents: Sequence[Iterable[str]], k1: float = 1.2, b: float = 0.75):
        counts = [Counter(doc) for doc in documents]
        self.size = len(counts)
        lengths = [sum(c.values()) for c in counts]
        average = (sum(lengths) / self.size) if self.size else 1.0
        df: Counter[str] = Counter()
        for counter in counts:
            df.update(counter.keys())
        self.idf: dict[str, float] = {
            term: math.log(1.0 + (self.size - n + 0.5) / (n + 0.5)) for term, n in df.items()
        }
        self.max_idf = math.log(1.0 + (self.size + 0.5) / 0.5) if self.size else 1.0
        # Precompute each posting's saturated term weight: scoring is then a sum of lookups.
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for doc_id, counter in enumerate(counts):
            norm = k1 * (1.0 - b + b * lengths[doc_id] / average)
            for term, tf in counter.items():
                weight = self.idf[term] * tf * (k1 + 1.0) / (tf + norm)
                self.postings.setdefault(term, []).append((doc_id, weight))

    def scores(self, terms: Iterable[str]) -> dict[int, float]:
        """Scores of every document that shares at least one term with the query."""
        result: dict[int, float] = {}
        for term in set(terms):
            for doc_id, weight in self.postings.get(term, ()):
                result[doc_id] = result.get(doc_id, 0.0) + weight
        return result

    def term_weight(self, term: str) -> float:
        """How informative a query term is; unknown terms weigh as the rarest possible term."""
        return self.idf.get(term, self.max_idf)
