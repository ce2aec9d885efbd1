"""Rank intents for a citizen message: BM25 recall, rapidfuzz re-scoring, a score in [0, 1].

Why this design (measured in shared/reference/vietnamese-text.md): BM25 over folded syllable
unigrams+bigrams with one document per intent is the strongest cheap ranker on diacritic-less
text; rapidfuzz `token_set_ratio` against each example breaks its ties; WRatio (rapidfuzz's
default) is unusable on short queries. The combined score is multiplied by how much of the
message the intent's vocabulary covers, so a message about lottery results that shares one
syllable ("so") with "digital skills" does not borrow that intent's confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rapidfuzz import fuzz, process

from intents.bm25 import BM25Index, TermRows, join_lines, split_lines, terms_of
from intents.fuzzy import FuzzyExamples, fuzzy_index
from intents.lexicon import Lexicon
from intents.normalize import normalize_tokens
from intents.perceptron import Weights, train, weight_rows, weights_of
from intents.questions import scan_clauses, split_scanned, words_of

__all__ = ["Action", "Candidate", "MatchResult", "Matcher", "Thresholds", "Tuning"]

Action = Literal["answer", "clarify", "fallback"]
OUT_OF_SCOPE_PREFIX = "oos."


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked intent and its score in [0, 1], with the parts the score is made of."""

    intent: str
    score: float
    lexical: float = field(default=0.0, compare=False)  # saturated BM25 of the intent
    fuzzy: float = field(default=0.0, compare=False)  # best token_set_ratio over examples
    coverage: float = field(default=0.0, compare=False)  # share of the message it knows


@dataclass(frozen=True)
class Thresholds:
    """When to answer, when to ask "did you mean" instead, when to say "I don't know".

    - below `clarify_threshold` the bot does not guess: the fallback;
    - from `clarify_threshold` to `answer_threshold` it asks, offering the candidates within
      `choice_window` of the best (a weak best guess is worth a question, not an answer);
    - at or above `answer_threshold` it answers, unless another intent is within
      `ambiguity_gap`: then it asks which one was meant.
    `clarify_threshold` defaults to `answer_threshold` (no weak-guess questions).
    """

    answer_threshold: float = 0.5
    ambiguity_gap: float = 0.05
    max_choices: int = 3
    max_message_chars: int = 600
    clarify_threshold: float | None = None
    choice_window: float = 0.1

    @property
    def ask_from(self) -> float:
        """The lowest score that still earns a question rather than the fallback."""
        if self.clarify_threshold is None:
            return self.answer_threshold
        return min(self.clarify_threshold, self.answer_threshold)


@dataclass(frozen=True)
class Tuning:
    """Weights of the score; chosen on the content's own examples, not on the evaluation set."""

    bm25_weight: float = 0.6
    bm25_saturation: float = 12.0
    coverage_power: float = 0.35
    rescore_top: int = 3
    # The fuzzy re-score reads at most this many words: its cost grows with length, and a long
    # message's question is nearly always early (BM25 still reads every word).
    fuzzy_words: int = 40
    typo_cutoff: float = 80.0
    typo_min_length: int = 4
    # How much an intent loses when its examples rarely ask the kind of question the message
    # asks (what / why / when / where...): its score is multiplied by 1 - weight * (1 - share).
    question_weight: float = 0.1
    # How much the averaged perceptron (intents/perceptron.py) moves a candidate's score: its
    # score for the intent, as a share of its strongest score for the message, times this.
    perceptron_weight: float = 0.1


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
    also: MatchResult | None = None

    @property
    def action(self) -> Action:
        """What the bot does: answer, ask which one ("clarify"), or the fallback."""
        if self.intent is None:
            return "fallback"
        return "clarify" if self.choices else "answer"

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

    index: BM25Index
    question_shares: list[dict[str, float]]
    _learned: TermRows  # the perceptron's weights, as rows over intents
    _learned_names: list[str]
    _weights: Weights | None  # the same as a dict, made when asked for
    text_keys: list[list[str]] | None  # each given text's key, when built from texts

    def __init__(
        self,
        intents: Sequence[tuple[str, Sequence[str]]],
        lexicon: Lexicon,
        thresholds: Thresholds | None = None,
        tuning: Tuning | None = None,
    ) -> None:
        text_keys = [
            [" ".join(normalize_tokens(text, lexicon)) for text in texts] for _, texts in intents
        ]
        keyed = [
            (intent_id, sorted(set(keys) - {""}))
            for (intent_id, _), keys in zip(intents, text_keys, strict=True)
        ]
        self._build(keyed, lexicon, thresholds, tuning)
        # Each text's key ("" for a text with no words), in the order given: for a cache to
        # keep, so that `trolyso content check` need not normalize the examples again.
        self.text_keys = text_keys

    @classmethod
    def from_keys(
        cls,
        keyed: Sequence[tuple[str, Sequence[str]]],
        lexicon: Lexicon,
        thresholds: Thresholds | None = None,
        tuning: Tuning | None = None,
        weights: Weights | None = None,
    ) -> Matcher:
        """A matcher from examples already normalized (`keys()` and `weights` of an earlier
        matcher): nothing is normalized or trained again."""
        matcher = cls.__new__(cls)
        matcher._build(keyed, lexicon, thresholds, tuning, weights)
        matcher.text_keys = None
        return matcher

    @classmethod
    def from_state(
        cls,
        state: Mapping[str, Any],
        lexicon: Lexicon,
        thresholds: Thresholds | None = None,
        tuning: Tuning | None = None,
    ) -> Matcher:
        """A matcher from `state()` of an earlier one: nothing is normalized, counted, weighed
        or trained again. Raises KeyError, TypeError, ValueError... on a damaged state."""
        matcher = cls.__new__(cls)
        matcher.text_keys = None
        keyed = [(str(intent), split_lines(keys)) for intent, keys in state["intents"]]
        matcher._setup(lexicon, thresholds, tuning, keyed, split_lines(state["vocabulary"]))
        matcher.index = BM25Index.from_state(state["bm25"])
        if matcher.index.size != len(matcher.intent_ids):
            raise ValueError("the index does not fit the intents")
        learned = state["perceptron"]
        matcher._learned = TermRows.from_state(learned, len(learned["names"]))
        matcher._learned_names = [str(name) for name in learned["names"]]
        if matcher._learned_names[: len(matcher.intent_ids)] != matcher.intent_ids:
            raise ValueError("the perceptron does not fit the intents")
        matcher._weights = None
        shares = state["questions"]
        if len(shares) != len(matcher.intent_ids):
            raise ValueError("the question kinds do not fit the intents")
        matcher.question_shares = [{str(k): float(v) for k, v in row.items()} for row in shares]
        return matcher

    def state(self) -> dict[str, Any]:
        """Everything the matcher derived from its examples: JSON-ready data, but for arrays of
        numbers (written as raw bytes by intents/state_file.py)."""
        return {
            "intents": [(intent, join_lines(keys)) for intent, keys in self.keys()],
            "vocabulary": join_lines(self.vocabulary),
            "bm25": self.index.state(),
            "perceptron": {"names": self._learned_names, **self._learned.state()},
            "questions": self.question_shares,
        }

    def keys(self) -> list[tuple[str, list[str]]]:
        """Every intent's normalized example keys: all a matcher needs to be built again."""
        return [(i, list(keys)) for i, keys in zip(self.intent_ids, self.examples, strict=True)]

    @property
    def weights(self) -> Weights:
        """The perceptron's weights (feature -> intent -> weight); empty when switched off."""
        if self._weights is None:
            self._weights = weights_of(self._learned, self._learned_names)
        return self._weights

    def _setup(
        self,
        lexicon: Lexicon,
        thresholds: Thresholds | None,
        tuning: Tuning | None,
        keyed: Sequence[tuple[str, Sequence[str]]],
        vocabulary: Sequence[str] | None = None,
    ) -> None:
        """What every matcher holds besides its index: settings and the examples' words."""
        self.lexicon = lexicon
        self.thresholds = thresholds or Thresholds()
        self.tuning = tuning or Tuning()
        self.pinned: dict[str, str] = {}
        self.intent_ids = [str(intent_id) for intent_id, _ in keyed]
        self.examples = [[str(key) for key in keys] for _, keys in keyed]
        self.positions = {intent_id: doc_id for doc_id, intent_id in enumerate(self.intent_ids)}
        # What the fuzzy re-score compares with (intents/fuzzy.py), made the first time an
        # intent is a candidate.
        self._fuzzy_examples: list[FuzzyExamples | None] = [None] * len(self.intent_ids)
        self._fuzzy_index = fuzzy_index()  # their words' numbers
        if vocabulary is None:
            vocabulary = sorted({w for keys in self.examples for key in keys for w in key.split()})
        self.vocabulary = list(vocabulary)  # every word of every example, sorted
        self._known = frozenset(self.vocabulary)
        # Each intent's words, worked out the first time it is a candidate.
        self._vocabularies: list[frozenset[str] | None] = [None] * len(self.intent_ids)
        self._corrections: dict[str, str] = {}

    def _build(
        self,
        keyed: Sequence[tuple[str, Sequence[str]]],
        lexicon: Lexicon,
        thresholds: Thresholds | None,
        tuning: Tuning | None,
        weights: Weights | None = None,
    ) -> None:
        self._setup(lexicon, thresholds, tuning, keyed)
        documents = [
            [term for key in keys for term in terms_of(key.split())] for keys in self.examples
        ]
        self.index = BM25Index(documents)
        if weights is None and self.tuning.perceptron_weight > 0:
            weights = train(keyed)
        self._weights = weights or {}
        self._learned, self._learned_names = weight_rows(self._weights, self.intent_ids)
        # Which kinds of question each intent's examples ask, as a share of the most asked one.
        self.question_shares = []
        for keys in self.examples:
            counts: dict[str, int] = {}
            for key in keys:
                for kind in lexicon.question_kinds(key.split()):
                    counts[kind] = counts.get(kind, 0) + 1
            top = max(counts.values(), default=0)
            self.question_shares.append(
                {kind: (n + 0.5) / (top + 0.5) for kind, n in counts.items()}
            )

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

    def vocabulary_of(self, doc_id: int) -> frozenset[str]:
        """The words of one intent's examples."""
        found = self._vocabularies[doc_id]
        if found is None:
            found = self._vocabularies[doc_id] = frozenset(" ".join(self.examples[doc_id]).split())
        return found

    def _coverage(self, weighted: Sequence[tuple[str, float]], total: float, doc_id: int) -> float:
        """The share of the message's weight (words by idf) the intent's words cover."""
        vocabulary = self.vocabulary_of(doc_id)
        known = 0.0
        for word, weight in weighted:
            if word in vocabulary:
                known += weight
        return known / total if total else 0.0

    def rank(self, text: str, limit: int = 5) -> tuple[list[str], list[Candidate]]:
        """Return the message's normalized words and its best `limit` candidates, best first."""
        words = normalize_tokens(text[: self.thresholds.max_message_chars], self.lexicon)
        return words, self.rank_words(words, limit)

    def rank_words(
        self, words: Sequence[str], limit: int = 5, floor: float | None = None
    ) -> list[Candidate]:
        """Rank intents for an already normalized message (a list of folded words).

        With a `floor`, nothing is returned when no candidate could reach it even with a
        perfect fuzzy score: the exact ranking would be a fallback anyway, and the fuzzy
        re-score (over half the cost of a long message) is skipped.
        """
        words = [self._correct(word) for word in words]
        if not words:
            return []
        terms = terms_of(words)
        bm25 = self.index.sums(terms)
        if not bm25:
            return []
        tuning = self.tuning
        # Only the best few are re-scored: a partial selection, not a sort of every candidate.
        top = bm25.best(tuning.rescore_top)
        learned = self._learned.sums(terms)
        strongest = learned.largest_magnitude() or 1.0
        favourite = learned.favourite(self._learned_names)
        if favourite is not None:
            # The perceptron's favourite joins the candidates when BM25 ranked it lower.
            doc_id = self.positions.get(self._learned_names[favourite])
            raw_score = bm25.get(doc_id) if doc_id is not None else None
            if doc_id is not None and raw_score is not None and all(d != doc_id for d, _ in top):
                top.append((doc_id, raw_score))
        # token_set_ratio reads the query as its sorted word set too (intents/fuzzy.py).
        distinct = sorted(set(words[: tuning.fuzzy_words]))
        query = " ".join(distinct)
        kinds = self.lexicon.question_kinds(words)
        weighted = [(word, self.index.term_weight(word)) for word in words]
        total = 0.0
        for _, weight in weighted:
            total += weight  # added up in order, as the coverage of each candidate was
        parts: list[tuple[int, float, float, float, float]] = []
        reachable = False
        for doc_id, raw in top:
            lexical = raw / (raw + tuning.bm25_saturation)
            known = self._coverage(weighted, total, doc_id)
            fit = 1.0
            if kinds:
                shares = self.question_shares[doc_id]
                share = max(shares.get(kind, 0.0) for kind in kinds)
                fit = 1.0 - tuning.question_weight * (1.0 - min(share, 1.0))
            nudge = tuning.perceptron_weight * (learned.get(doc_id) or 0.0) / strongest
            parts.append((doc_id, lexical, known, fit, nudge))
            if floor is not None and not reachable:
                # The score with a perfect fuzzy match, worked out (and rounded) as the real
                # one is: every step is monotonic, so no real score can be higher.
                combined = tuning.bm25_weight * lexical + (1.0 - tuning.bm25_weight) * 1.0
                coverage = known**tuning.coverage_power
                highest = min(1.0, max(0.0, combined * coverage * fit + nudge))
                reachable = round(highest, 4) >= floor
        if floor is not None and not reachable:
            return []
        scored: list[Candidate] = []
        fuzzies = self._fuzzy([part[0] for part in parts], distinct, query)
        for (doc_id, lexical, known, fit, nudge), fuzzy in zip(parts, fuzzies, strict=True):
            combined = tuning.bm25_weight * lexical + (1.0 - tuning.bm25_weight) * fuzzy
            coverage = known**tuning.coverage_power
            intent_id = self.intent_ids[doc_id]
            score = min(1.0, max(0.0, combined * coverage * fit + nudge))
            scored.append(
                Candidate(
                    intent_id,
                    round(score, 4),
                    lexical=lexical,
                    fuzzy=fuzzy,
                    coverage=known,
                )
            )
        scored.sort(key=lambda c: (-c.score, c.intent))
        return scored[:limit]

    def prepare(self) -> None:
        """Build every intent's re-score data now (a server's start-up), not at its first
        candidacy inside a citizen's message (about 0.2 ms an intent)."""
        for doc_id, examples in enumerate(self._fuzzy_examples):
            if examples is None:
                self._fuzzy_examples[doc_id] = self._fuzzy_index.examples(self.examples[doc_id])

    def _fuzzy(self, doc_ids: Sequence[int], words: Sequence[str], query: str) -> list[float]:
        """Each intent's best token_set_ratio of the query (its distinct `words`, sorted and
        joined) against its examples, in [0, 1]: all bounded at once (intents/fuzzy.py)."""
        groups = []
        for doc_id in doc_ids:
            examples = self._fuzzy_examples[doc_id]
            if examples is None:
                examples = self._fuzzy_index.examples(self.examples[doc_id])
                self._fuzzy_examples[doc_id] = examples
            groups.append(examples)
        return [best / 100.0 for best in self._fuzzy_index.best(groups, words, query)]

    def decide(self, text: str, ranked: Sequence[Candidate]) -> MatchResult:
        """Turn a ranking into the bot's action: answer, ask which one, or the fallback."""
        limits = self.thresholds
        ranked = tuple(ranked)
        if not ranked or ranked[0].score < limits.ask_from:
            score = ranked[0].score if ranked else 0.0
            return MatchResult(text=text, intent=None, score=score, ranked=ranked)
        best = ranked[0]
        if best.intent.startswith(OUT_OF_SCOPE_PREFIX):
            # A decoy or an everyday topic: decline politely when sure, else the fallback.
            if best.score < limits.answer_threshold:
                return MatchResult(text=text, intent=None, score=best.score, ranked=ranked)
            return MatchResult(text=text, intent=best.intent, score=best.score, ranked=ranked)
        in_scope = [c for c in ranked if not c.intent.startswith(OUT_OF_SCOPE_PREFIX)]
        # A broader intent close behind is no rival: the narrower answer answers it too.
        close = [
            c
            for c in in_scope
            if best.score - c.score < limits.ambiguity_gap
            and not _related(best.intent, c.intent, strict=True)
        ]
        if best.score >= limits.answer_threshold and len(close) == 1:
            return MatchResult(text=text, intent=best.intent, score=best.score, ranked=ranked)
        window = max(limits.ambiguity_gap, limits.choice_window)
        offered = [c for c in in_scope if best.score - c.score < window]
        return MatchResult(
            text=text,
            intent=best.intent,
            score=best.score,
            ranked=ranked,
            choices=tuple(offered[: limits.max_choices]),
        )

    def pin(self, texts: Iterable[tuple[str, str]]) -> None:
        """Answer these exact texts (intent, text) outright: button titles a citizen retypes."""
        self.pinned = {
            key: intent_id
            for intent_id, text in texts
            if (key := " ".join(normalize_tokens(text, self.lexicon)))
        }

    def match(self, text: str) -> MatchResult:
        """Decide for one message; a message with two questions gets both answered (`also`)."""
        clipped = text[: self.thresholds.max_message_chars]
        # Scanned once: the whole message's words and its questions are cut from its clauses.
        clauses = scan_clauses(clipped)
        words = words_of(clauses, self.lexicon)
        pinned = self.pinned.get(" ".join(words))
        if pinned is not None:
            best = Candidate(pinned, 1.0, lexical=1.0, fuzzy=1.0, coverage=1.0)
            return MatchResult(text=text, intent=pinned, score=1.0, ranked=(best,))
        parts = split_scanned(clauses, self.lexicon)
        found: list[MatchResult] = []  # each question's answer, or its "did you mean"
        for number, part in enumerate(parts if len(parts) > 1 else ()):
            if len(found) + len(parts) - number < 2:
                break  # too few questions left to find two: the whole message decides
            result = self.decide(text, self.rank_words(part, floor=self.thresholds.ask_from))
            if result.action == "fallback" or _is_small_talk(result.intent):
                continue
            if any(_related(result.intent, seen.intent) for seen in found):
                continue
            found.append(result)
        answers = [r for r in found if r.action == "answer"]
        if not answers or len(found) < 2:
            # One question (or one the bot can tell): ranked whole, only now that it is needed.
            return self.decide(text, self.rank_words(words))
        # Answered in the order the citizen asked; a second question the bot is unsure of is
        # asked about ("did you mean"), never dropped.
        first = answers[0]
        second = next(r for r in found if r is not first)
        return replace(first, also=second)

    def match_many(self, texts: Iterable[str]) -> list[MatchResult]:
        """Match several messages (for evaluation and benchmarks)."""
        return [self.match(text) for text in texts]


def _is_small_talk(intent: str | None) -> bool:
    """Greetings, thanks and declined topics never count as a second question."""
    return intent is None or intent.startswith((OUT_OF_SCOPE_PREFIX, "bot."))


def _related(one: str | None, other: str | None, strict: bool = False) -> bool:
    """The same intent (unless `strict`), or one narrower than the other."""
    if one is None or other is None:
        return False
    if one == other:
        return not strict
    return one.startswith(other + ".") or other.startswith(one + ".")
