"""Rank intents for a citizen message: BM25 recall, rapidfuzz re-scoring, a score in [0, 1].

Why this design (measured in shared/reference/vietnamese-text.md): BM25 over folded syllable
unigrams+bigrams with one document per intent is the strongest cheap ranker on diacritic-less
text; rapidfuzz `token_set_ratio` against each example breaks its ties; WRatio (rapidfuzz's
default) is unusable on short queries. The combined score is multiplied by how much of the
message the intent's vocabulary covers, so a message about lottery results that shares one
syllable ("so") with "digital skills" does not borrow that intent's confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from intents.bm25 import BM25Index, terms_of
from intents.lexicon import Lexicon
from intents.normalize import normalize_tokens

__all__ = ["Candidate", "MatchResult", "Matcher", "Thresholds", "Tuning"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked intent and its score in [0, 1]."""

    intent: str
    score: float


@dataclass(frozen=True)
class Thresholds:
    """When to answer, and when to ask "did you mean" instead (from content config)."""

    answer_threshold: float = 0.5
    ambiguity_gap: float = 0.05
    max_choices: int = 3
    max_message_chars: int = 600


@dataclass(frozen=True)
class Tuning:
    """Weights of the score; chosen on the content's own examples, not on the evaluation set."""

    bm25_weight: float = 0.6
    bm25_saturation: float = 12.0
    coverage_power: float = 0.35
    rescore_top: int = 5
    typo_cutoff: float = 80.0
    typo_min_length: int = 4


@dataclass(frozen=True)
class MatchResult:
    """What the matcher concluded about one message.

    `intent` is None exactly when the bot gives the fallback. `choices` is non-empty when the
    top intents are too close to call, and the bot asks which one was meant.
    """

    text: str
    intent: str | None
    score: float
    ranked: tuple[Candidate, ...] = ()
    choices: tuple[Candidate, ...] = field(default=())

    @property
    def alternatives(self) -> tuple[Candidate, ...]:
        """Runners-up after the best candidate."""
        return self.ranked[1:]

    @property
    def ambiguous(self) -> bool:
        """Whether the bot should ask the citizen to choose."""
        return bool(self.choices)


class Matcher:
    """An index over intents' example questions, built once at start-up."""

    def __init__(
        self,
        intents: Sequence[tuple[str, Sequence[str]]],
        lexicon: Lexicon,
        thresholds: Thresholds | None = None,
        tuning: Tuning | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.thresholds = thresholds or Thresholds()
        self.tuning = tuning or Tuning()
        self.intent_ids: list[str] = []
        self.examples: list[list[str]] = []
        self.vocabularies: list[frozenset[str]] = []
        documents: list[list[str]] = []
        for intent_id, texts in intents:
            keys = sorted({" ".join(normalize_tokens(text, lexicon)) for text in texts} - {""})
            self.intent_ids.append(intent_id)
            self.examples.append(keys)
            words = [key.split() for key in keys]
            documents.append([term for example in words for term in terms_of(example)])
            self.vocabularies.append(frozenset(w for example in words for w in example))
        self.index = BM25Index(documents)
        self.vocabulary = sorted(frozenset().union(*self.vocabularies))
        self._known = frozenset(self.vocabulary)
        self._corrections: dict[str, str] = {}

    def _correct(self, word: str) -> str:
        """Replace an unknown word by the closest known one ("mony" -> "money"), if close enough.

        Only words of four letters or more are corrected: short unknown words are usually
        abbreviations or junk, and a wrong correction costs more than none.
        """
        if word in self._known or len(word) < self.tuning.typo_min_length or word.isdigit():
            return word
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        best = process.extractOne(
            word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=self.tuning.typo_cutoff
        )
        corrected = best[0] if best else word
        if len(self._corrections) < 10_000:  # bounded: junk input must not grow memory
            self._corrections[word] = corrected
        return corrected

    def _coverage(self, words: Sequence[str], doc_id: int) -> float:
        vocabulary = self.vocabularies[doc_id]
        total = known = 0.0
        for word in words:
            weight = self.index.term_weight(word)
            total += weight
            if word in vocabulary:
                known += weight
        return known / total if total else 0.0

    def rank(self, text: str, limit: int = 5) -> tuple[list[str], list[Candidate]]:
        """Return the message's normalized words and its best `limit` candidates, best first."""
        words = normalize_tokens(text[: self.thresholds.max_message_chars], self.lexicon)
        words = [self._correct(word) for word in words]
        if not words:
            return words, []
        bm25 = self.index.scores(terms_of(words))
        if not bm25:
            return words, []
        tuning = self.tuning
        top = sorted(bm25.items(), key=lambda item: item[1], reverse=True)[: tuning.rescore_top]
        query = " ".join(words)
        scored: list[Candidate] = []
        for doc_id, raw in top:
            best = process.extractOne(
                query, self.examples[doc_id], scorer=fuzz.token_set_ratio, processor=None
            )
            fuzzy = best[1] / 100.0 if best else 0.0
            lexical = raw / (raw + tuning.bm25_saturation)
            combined = tuning.bm25_weight * lexical + (1.0 - tuning.bm25_weight) * fuzzy
            coverage = self._coverage(words, doc_id) ** tuning.coverage_power
            scored.append(Candidate(self.intent_ids[doc_id], round(combined * coverage, 4)))
        scored.sort(key=lambda c: (-c.score, c.intent))
        return words, scored[:limit]

    def match(self, text: str) -> MatchResult:
        """Decide: answer with an intent, ask to choose between close ones, or fall back."""
        _, ranked = self.rank(text)
        limits = self.thresholds
        if not ranked or ranked[0].score < limits.answer_threshold:
            score = ranked[0].score if ranked else 0.0
            return MatchResult(text=text, intent=None, score=score, ranked=tuple(ranked))
        best = ranked[0]
        close = [c for c in ranked if best.score - c.score < limits.ambiguity_gap]
        choices = tuple(close[: limits.max_choices]) if len(close) > 1 else ()
        return MatchResult(
            text=text, intent=best.intent, score=best.score, ranked=tuple(ranked), choices=choices
        )

    def match_many(self, texts: Iterable[str]) -> list[MatchResult]:
        """Match several messages (for evaluation and benchmarks)."""
        return [self.match(text) for text in texts]
