"""The operator-edited word tables the normalizer applies: teencode, synonyms, fillers.

The tables live in `content/lexicon/*.yaml`; this module holds them in the folded form the
normalizer needs, so that normalization itself stays a pure function of (text, lexicon).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Lexicon"]


@dataclass(frozen=True)
class Lexicon:
    """Folded word tables.

    Attributes:
        teencode: folded abbreviation -> folded words it stands for ("ko" -> ("khong",)).
        synonyms: folded phrase -> folded canonical phrase ("cmnd" -> ("can", "cuoc")).
        fillers: words dropped before matching (particles such as "ạ", "ơi", "nhé"), as typed
            (NFC, lowercase): a token typed with marks is dropped only if its exact form is
            listed, one typed without marks if its folded form is.
        protected: folded words never squeezed as elongations ("cccd").
        questions: folded phrase -> the kind of question it asks ("la gi" -> "what"), matched
            on normalized words.
    """

    teencode: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    synonyms: Mapping[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    fillers: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()
    questions: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    _longest: int = field(init=False, default=1)
    _by_first_word: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = field(
        init=False, default_factory=dict
    )
    # Synonym phrase lengths by first word, longest first: most words start no phrase.
    _synonym_sizes: dict[str, tuple[int, ...]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )
    # What each token normalizes to (intents.normalize fills it): a pure function of the token
    # and these tables, worth remembering because citizens use the same few thousand words.
    token_memo: dict[str, tuple[str, ...]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        longest = max((len(phrase) for phrase in self.synonyms), default=1)
        object.__setattr__(self, "_longest", longest)
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, kind in self.questions.items():
            by_first.setdefault(phrase[0], []).append((phrase, kind))
        object.__setattr__(
            self, "_by_first_word", {word: tuple(found) for word, found in by_first.items()}
        )
        sizes: dict[str, set[int]] = {}
        for synonym in self.synonyms:
            if synonym:
                sizes.setdefault(synonym[0], set()).add(len(synonym))
        object.__setattr__(
            self,
            "_synonym_sizes",
            {word: tuple(sorted(found, reverse=True)) for word, found in sizes.items()},
        )

    def question_kinds(self, words: Sequence[str]) -> frozenset[str]:
        """The kinds of question (what, why, where...) normalized words ask."""
        kinds: set[str] = set()
        for start, word in enumerate(words):
            for phrase, kind in self._by_first_word.get(word, ()):
                if tuple(words[start : start + len(phrase)]) == phrase:
                    kinds.add(kind)
        return frozenset(kinds)

    def rewrite_synonyms(self, words: Sequence[str]) -> list[str]:
        """Replace synonym phrases by their canonical form, longest match first, left to right."""
        if not self.synonyms:
            return list(words)
        starts = self._synonym_sizes
        result: list[str] = []
        done = 0  # words before this one are in `result` (as typed or rewritten)
        count = len(words)
        for index in [n for n, word in enumerate(words) if word in starts]:
            if index < done:
                continue  # inside a phrase already rewritten
            for size in starts[words[index]]:
                if index + size > count:
                    continue
                canonical = self.synonyms.get(tuple(words[index : index + size]))
                if canonical is not None:
                    result.extend(words[done:index])
                    result.extend(canonical)
                    done = index + size
                    break
        result.extend(words[done:])
        return result

    @classmethod
    def empty(cls) -> Lexicon:
        """A lexicon with no tables: folding and squeezing only."""
        return cls()
