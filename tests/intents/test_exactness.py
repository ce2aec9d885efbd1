"""The faster matcher decides exactly as the plain code it replaced.

Each fast path is checked against a plain reference kept here (or in the module): the character
loop of tokenize, the word loop of synonym rewriting, dict sums of BM25 and perceptron rows,
dict-only perceptron training, the whole-message-first order of `Matcher.match`, and the
matcher rebuilt from its cached state.
"""

from __future__ import annotations

import array
import math
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, replace
from typing import Any

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

import intents.perceptron as perceptron
from content import Content
from intents import Lexicon, Matcher, normalize, normalize_tokens, state_file
from intents.bm25 import BM25Index, TermRows
from intents.evaluation import load_cases
from intents.fuzzy import (
    BOUND_FROM_WORDS,
    FuzzyExamples,
    FuzzyIndex,
    letter_counts,
    letter_table,
)
from intents.matcher import MatchResult, _is_small_talk, _related
from intents.normalize import _tokenize_chars, tokenize
from intents.questions import split_questions
from tests.conftest import DATA

mixed_text = st.text(
    alphabet=st.sampled_from(
        "aăâbcdđeêioôơuưy AĐÊÔ àáảãạầấậềếệồốộờớợừứựỳýđð019.,?!\n\t"
        "\u0300\u0301\u0303\u0309\u0323\u0307\u200b\u200c\u200d\ufeff\u00ad\u00a0İ😀<>"
    ),
    max_size=60,
)


@given(st.one_of(mixed_text, st.text(max_size=60)))
@settings(max_examples=400)
def test_tokenize_gives_the_tokens_of_the_character_loop(text: str) -> None:
    lowered = unicodedata.normalize("NFC", text).lower()
    assert tokenize(text) == _tokenize_chars(lowered)


def _rewrite_reference(lexicon: Lexicon, words: Sequence[str]) -> list[str]:
    """Synonym rewriting as it was written first: every length at every word."""
    longest = max((len(p) for p in lexicon.synonyms), default=1)
    result: list[str] = []
    index = 0
    while index < len(words):
        for size in range(min(longest, len(words) - index), 0, -1):
            canonical = lexicon.synonyms.get(tuple(words[index : index + size]))
            if canonical is not None:
                result.extend(canonical)
                index += size
                break
        else:
            result.append(words[index])
            index += 1
    return result


SYNONYM_WORDS = ["o", "dau", "mo", "lam", "can", "cuoc", "cmnd", "the", "nao", "x"]


@given(st.lists(st.sampled_from(SYNONYM_WORDS), max_size=12))
def test_synonyms_are_rewritten_as_by_the_word_loop(words: list[str]) -> None:
    lexicon = Lexicon(
        synonyms={
            ("o", "mo"): ("o", "dau"),
            ("o", "dau"): ("o", "dau"),
            ("cmnd",): ("can", "cuoc"),
            ("lam", "the", "nao"): ("cach",),
            ("the", "nao"): ("nhu", "the", "nao"),
            ("o",): (),
        }
    )
    assert lexicon.rewrite_synonyms(words) == _rewrite_reference(lexicon, words)


def test_the_shipped_lexicon_rewrites_as_the_word_loop(content: Content) -> None:
    for case in load_cases(DATA / "eval_set.jsonl"):
        words = tokenize(case.text)
        folded = [token.text for token in words]
        lexicon = content.lexicon
        assert lexicon.rewrite_synonyms(folded) == _rewrite_reference(lexicon, folded)


def _again(state: Any) -> Any:
    """A state written to its file and read back (intents/state_file.py)."""
    return state_file.loads(state_file.dumps(state))


rows_strategy = st.dictionaries(
    st.sampled_from([f"t{n}" for n in range(12)]),
    st.dictionaries(
        st.integers(0, 19),
        st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0]),
        min_size=1,
        max_size=20,
    ),
    max_size=12,
)


def _dict_sums(rows: dict[str, dict[int, float]], terms: Sequence[str]) -> dict[int, float]:
    totals: dict[int, float] = {}
    for term in set(terms):
        for column, value in rows.get(term, {}).items():
            totals[column] = totals.get(column, 0.0) + value
    return totals


TERMS = [f"t{n}" for n in range(14)]


@given(rows_strategy, st.lists(st.sampled_from(TERMS), max_size=8))
@settings(max_examples=200)
def test_row_sums_agree_with_dict_sums_in_every_form(
    rows: dict[str, dict[int, float]], terms: list[str]
) -> None:
    """Dict sums, long rows summed whole, numpy vectors: the same answers to every question."""
    expected = _dict_sums(rows, terms)
    names = [f"intent{c:02d}" for c in range(20)]
    pairs = {t: (list(r), list(r.values())) for t, r in rows.items()}
    forms = [
        TermRows.from_rows(pairs, 20, vector_from=10**9),  # dict sums
        TermRows.from_rows(pairs, 20, vector_from=0),  # numpy
    ]
    forms.append(TermRows.from_state(_again(forms[0].state()), 20, 10**9))  # dict sums
    forms.append(TermRows.from_state(_again(forms[1].state()), 20, 0))  # numpy, in place
    for rows_form in forms:
        found = rows_form.sums(terms)
        assert bool(found) == bool(expected)
        for column in range(20):
            if column in expected:
                assert found.get(column) == pytest.approx(expected[column], abs=1e-9)
            else:
                assert found.get(column) is None
        assert [c for c, _ in found.best(3)] == [
            c for c, _ in sorted(expected.items(), key=lambda i: (-i[1], i[0]))[:3]
        ]
        assert found.largest_magnitude() == max(map(abs, expected.values()), default=0.0)
        favourite = max(expected.items(), key=lambda i: (i[1], names[i[0]]), default=None)
        assert found.favourite(names) == (favourite[0] if favourite else None)


positive_rows = st.dictionaries(
    st.sampled_from([f"t{n}" for n in range(12)]),
    st.dictionaries(
        st.integers(0, 19), st.sampled_from([0.25, 0.5, 1.0, 1.5, 3.0]), min_size=1, max_size=20
    ),
    max_size=12,
)


def _totals_as_first_written(rows: TermRows, terms: Sequence[str]) -> Any:
    """The numpy totals as first written: short rows in one bincount, then the long rows copied
    out and added up with `sum(axis=0)`."""
    np = rows.numpy
    numbers = [n for t in sorted(set(terms)) if (n := rows._number.get(t)) is not None]
    short = [n for n in numbers if n not in rows._line_of]
    long = [rows._line_of[n] for n in numbers if n in rows._line_of]
    totals = np.zeros(rows.width)
    if short:
        entries = np.concatenate(
            [np.arange(rows._offsets[n], rows._offsets[n + 1]) for n in short]
        )
        totals = np.bincount(
            rows._columns[entries], weights=rows._values[entries], minlength=rows.width
        )
    if long:
        totals += rows._lines[long].sum(axis=0)
    return totals


@given(st.one_of(rows_strategy, positive_rows), st.lists(st.sampled_from(TERMS), max_size=8))
@settings(max_examples=300)
def test_numpy_totals_and_answers_are_those_first_written(
    rows: dict[str, dict[int, float]], terms: list[str]
) -> None:
    """Long rows added one by one give the very floats of `sum(axis=0)`; the top totals found
    in one pass over positive rows, and the largest magnitude without |x|, the same answers."""
    pairs = {t: (list(r), list(r.values())) for t, r in rows.items()}
    table = TermRows.from_rows(pairs, 20, vector_from=0)
    found = table.sums(terms)
    expected = _totals_as_first_written(table, terms)
    if not found:
        return
    assert table.numpy.array_equal(found._dense, expected)  # type: ignore[attr-defined]
    touched = _dict_sums(rows, terms)
    for count in range(1, 6):
        ranked = sorted(((c, float(expected[c])) for c in touched), key=lambda i: (-i[1], i[0]))
        assert found.best(count) == ranked[:count]
    assert found.largest_magnitude() == float(abs(expected).max())


FUZZY_WORDS = ["mat", "khau", "quen", "lam", "the", "nao", "a", "ab", "b", "mat_khau", "vneid"]
word_lists = st.lists(st.sampled_from(FUZZY_WORDS), max_size=8).map(" ".join)


@given(st.lists(word_lists, max_size=8), st.lists(st.sampled_from(FUZZY_WORDS), max_size=30))
@settings(max_examples=500)
def test_fuzzy_best_is_the_best_of_every_example(keys: list[str], words: list[str]) -> None:
    """Distinct sorted word sets, a sorted query, bounds from word lengths and skipped
    examples: the best token_set_ratio of the message as written against every example."""
    written = " ".join(words)
    expected = max((fuzz.token_set_ratio(written, k, processor=None) for k in keys), default=0.0)
    distinct = sorted(set(words))
    examples = FuzzyExamples(keys, numpy)
    for bound_from in (1, BOUND_FROM_WORDS):
        assert examples.best(distinct, " ".join(distinct), bound_from) == expected
    if examples.choices and distinct:
        bounds = examples.bounds(distinct, " ".join(distinct))
        for choice, bound in zip(examples.choices, bounds.tolist(), strict=True):
            assert fuzz.token_set_ratio(written, choice, processor=None) <= bound + 1e-9


random_words = st.text(alphabet="abcdehikmnotuy019", min_size=1, max_size=7)


@given(
    st.lists(st.lists(random_words, max_size=9).map(" ".join), max_size=8),
    st.lists(random_words, min_size=1, max_size=30),
)
@settings(max_examples=1500)
def test_fuzzy_bounds_are_never_below_the_score(keys: list[str], words: list[str]) -> None:
    """The bounds from letter counts and word lengths are upper bounds of rapidfuzz's score
    for words of any letters (not only a few whole words), and skipping by them never changes
    the best score."""
    distinct = sorted(set(words))
    joined = " ".join(distinct)
    examples = FuzzyExamples(keys, numpy)
    scores = [fuzz.token_set_ratio(joined, c, processor=None) for c in examples.choices]
    assert examples.best(distinct, joined) == max(scores, default=0.0)
    if examples.choices:
        bounds = examples.bounds(distinct, joined).tolist()
        for score, bound in zip(scores, bounds, strict=True):
            assert score <= bound + 1e-9


@given(
    st.lists(st.lists(st.lists(random_words, max_size=6).map(" ".join), max_size=6), max_size=5),
    st.lists(random_words, min_size=1, max_size=20),
)
@settings(max_examples=500)
def test_candidates_bounded_together_score_as_each_alone(
    groups: list[list[str]], words: list[str]
) -> None:
    """Several intents' examples numbered in one index and bounded in one pass: each intent's
    best score is the best token_set_ratio of its own examples."""
    distinct = sorted(set(words))
    joined = " ".join(distinct)
    index = FuzzyIndex(numpy)
    examples = [index.examples(keys) for keys in groups]
    expected = [
        max((fuzz.token_set_ratio(joined, k, processor=None) for k in keys), default=0.0)
        for keys in groups
    ]
    assert index.best(examples, distinct, joined) == expected


@given(st.lists(st.one_of(random_words, mixed_text), max_size=6))
@settings(max_examples=300)
def test_letters_counted_at_once_are_counted_one_by_one(texts: list[str]) -> None:
    table = letter_table(texts, numpy)
    assert table.tolist() == [letter_counts(text) for text in texts]


def test_words_numbered_from_two_threads_keep_their_lengths() -> None:
    """The publication gate may score the live matcher from a thread: intents' examples made
    at the same time never share a number between two words."""
    index = FuzzyIndex(numpy)
    keys = [[f"w{n}x{'y' * (n % 7)} t{n % 13}" for n in range(i, i + 400)] for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(index.examples, keys))
    assert len(set(index.number.values())) == len(index.number) == len(index.spaced)
    assert all(index.spaced[n] == len(word) + 1 for word, n in index.number.items())


def test_ranking_with_numpy_sums_is_the_ranking_with_dict_sums(matcher: Matcher) -> None:
    """The numpy sums add each column's floats in the order of the pure-Python dict sums:
    every whole message and question part of the evaluation set ranks the same, float for
    float (lexical, fuzzy and coverage parts included)."""
    plain = Matcher.__new__(Matcher)
    plain.__dict__.update(matcher.__dict__)
    plain.index = BM25Index.from_state(matcher.index.state(), vector_from=10**9)
    width = len(matcher._learned_names)
    plain._learned = TermRows.from_state(matcher._learned.state(), width, 10**9)
    assert matcher.index.rows.vectorized
    assert not plain.index.rows.vectorized
    for case in load_cases(DATA / "eval_set.jsonl"):
        clipped = case.text[: matcher.thresholds.max_message_chars]
        parts = split_questions(clipped, matcher.lexicon)
        for words in [normalize_tokens(clipped, matcher.lexicon), *parts]:
            expected = [astuple(c) for c in plain.rank_words(words)]
            assert [astuple(c) for c in matcher.rank_words(words)] == expected, case.text


def test_bm25_from_its_state_scores_the_same() -> None:
    documents = [["quen", "mat", "khau", "mat_khau"], ["mat", "dien"], ["lam", "can", "cuoc"]]
    index = BM25Index(documents)
    again = BM25Index.from_state(_again(index.state()))
    query = ["quen", "mat", "khau", "dien", "xyz"]
    assert again.scores(query) == index.scores(query)
    for term in query:
        assert again.term_weight(term) == index.term_weight(term)
    assert index.term_weight("xyz") == pytest.approx(math.log(1 + 3.5 / 0.5))


def test_damaged_rows_are_refused() -> None:
    state = TermRows.from_rows({"a": ([0, 1], [1.0, 2.0])}, 2).state()
    with pytest.raises(ValueError, match="out of range"):
        TermRows.from_state(state, 1)
    with pytest.raises(ValueError, match="inconsistent"):
        TermRows.from_state({**state, "values": state["values"][:1]}, 2)
    disordered = {**state, "terms": "a\nb\nc", "offsets": array.array("i", [0, 2, 1, 2])}
    for vector_from in (0, 10**9):  # numpy, and the plain lists
        with pytest.raises(ValueError, match="inconsistent"):
            TermRows.from_state(disordered, 2, vector_from)
    with pytest.raises(ValueError, match="invalid literal"):
        TermRows.from_state({**state, "columns": "AAAAAAEAAAA="}, 2)  # base64: format 6
    with pytest.raises(ValueError, match="inconsistent"):
        TermRows.from_state({**state, "terms": "a\nb"}, 2)


def test_training_with_numpy_mirrors_gives_the_same_weights(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyed = [
        (intent.id, sorted({normalize(e, content.lexicon) for e in intent.examples}))
        for intent in list(content.intents.values())[:30]
    ]
    plain = perceptron.train(keyed)
    monkeypatch.setattr(perceptron, "DENSE_FROM_INTENTS", 1)
    monkeypatch.setattr(perceptron, "DENSE_ROW", 4)
    assert perceptron.train(keyed) == plain


def _match_whole_first(matcher: Matcher, text: str) -> MatchResult:
    """`Matcher.match` as it was first written: the whole message, then every part."""
    clipped = text[: matcher.thresholds.max_message_chars]
    words = normalize_tokens(clipped, matcher.lexicon)
    pinned = matcher.pinned.get(" ".join(words))
    if pinned is not None:
        return matcher.match(text)
    whole = matcher.decide(text, matcher.rank_words(words))
    parts = split_questions(clipped, matcher.lexicon)
    if len(parts) < 2:
        return whole
    found: list[MatchResult] = []
    for part in parts:
        result = matcher.decide(text, matcher.rank_words(part))
        if result.action == "fallback" or _is_small_talk(result.intent):
            continue
        if any(_related(result.intent, seen.intent) for seen in found):
            continue
        found.append(result)
    answers = [r for r in found if r.action == "answer"]
    if not answers or len(found) < 2:
        return whole
    first = answers[0]
    return replace(first, also=next(r for r in found if r is not first))


def test_match_decides_as_the_whole_message_first_order(matcher: Matcher) -> None:
    """Ranking parts first and the whole only when needed changes no result, on every
    message of the evaluation set (2 questions in one included)."""
    cases = load_cases(DATA / "eval_set.jsonl")
    two = 0
    for case in cases:
        expected = _match_whole_first(matcher, case.text)
        assert matcher.match(case.text) == expected, case.text
        two += expected.also is not None
    assert two >= 20  # the set exercises the two-question path


def test_fuzzy_order_and_floor_change_no_ranking(matcher: Matcher) -> None:
    """The examples as distinct sorted word sets scored in order of their upper bounds, all
    candidates bounded at once, the rest skipped (intents/fuzzy.py), give every candidate the
    score of every stored example, and a part skipped under the floor could not have reached
    it."""
    plain = Matcher.__new__(Matcher)
    plain.__dict__.update(matcher.__dict__)

    def every_example(doc_ids: Sequence[int], words: Sequence[str], query: str) -> list[float]:
        # Every stored example of each candidate scored, one candidate at a time, sorted
        # alphabetically as stored.
        scores = []
        for doc_id in doc_ids:
            found = process.extractOne(
                query, matcher.examples[doc_id], scorer=fuzz.token_set_ratio, processor=None
            )
            scores.append(found[1] / 100.0 if found else 0.0)
        return scores

    plain._fuzzy = every_example  # type: ignore[method-assign]
    floor = matcher.thresholds.ask_from
    skipped = 0
    for case in load_cases(DATA / "eval_set.jsonl"):
        clipped = case.text[: matcher.thresholds.max_message_chars]
        parts = split_questions(clipped, matcher.lexicon)
        for words in [normalize_tokens(clipped, matcher.lexicon), *parts]:
            expected = plain.rank_words(words)
            assert matcher.rank_words(words) == expected, case.text
            if not matcher.rank_words(words, floor=floor):
                skipped += 1
                assert not expected or expected[0].score < floor, case.text
    assert skipped >= 10  # the floor is exercised


def test_a_matcher_from_its_state_is_the_same_matcher(matcher: Matcher) -> None:
    state = _again(matcher.state())
    again = Matcher.from_state(state, matcher.lexicon, matcher.thresholds)
    again.pinned = matcher.pinned
    assert again.keys() == matcher.keys()
    assert again.weights == matcher.weights
    assert again.vocabulary == matcher.vocabulary
    assert again.question_shares == matcher.question_shares
    for case in load_cases(DATA / "eval_set.jsonl")[::7]:
        assert again.match(case.text) == matcher.match(case.text)


def test_a_damaged_state_is_refused(matcher: Matcher) -> None:
    state = _again(matcher.state())
    with pytest.raises(ValueError, match="question kinds"):
        Matcher.from_state({**state, "questions": []}, matcher.lexicon)
    names = state["perceptron"]["names"]
    state["perceptron"]["names"] = names[1:] + names[:1]
    with pytest.raises(ValueError, match="perceptron"):
        Matcher.from_state(state, matcher.lexicon)
