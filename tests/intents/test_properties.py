"""Property-based tests: whatever a citizen types, normalization and matching behave."""

import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intents import fold, normalize, unify_tones

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
vietnamese_text = st.text(
    alphabet=VIETNAMESE + VIETNAMESE.upper() + " ?!.,0123456789", max_size=80
)
any_text = st.text(max_size=300)
ASCII_WORDS = re.compile(r"^([0-9a-z]+( [0-9a-z]+)*)?$")


@given(any_text)
def test_fold_always_gives_lowercase_ascii_words(text: str) -> None:
    assert ASCII_WORDS.match(fold(text))


@given(any_text)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(vietnamese_text)
def test_fold_ignores_unicode_form_and_case(text: str) -> None:
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert fold(text.upper()) == fold(text.lower())


@given(vietnamese_text)
def test_unify_tones_is_idempotent_and_fold_invariant(text: str) -> None:
    once = unify_tones(text)
    assert unify_tones(once) == once
    assert fold(once) == fold(text)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(any_text)
def test_normalize_never_crashes_and_gives_ascii(content, text: str) -> None:
    assert ASCII_WORDS.match(normalize(text, content.lexicon))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(st.one_of(any_text, st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace"))))
def test_matcher_never_crashes_and_scores_stay_in_range(matcher, text: str) -> None:
    result = matcher.match(text)
    assert 0.0 <= result.score <= 1.0
    if result.intent is None:  # too weak, or a declined topic the bot is not sure of
        declined = bool(result.ranked) and result.ranked[0].intent.startswith("oos.")
        assert result.score < matcher.thresholds.ask_from or declined
    else:
        assert result.score >= matcher.thresholds.ask_from
    assert result.action in ("answer", "clarify", "fallback")
    assert [c.score for c in result.ranked] == sorted(
        (c.score for c in result.ranked), reverse=True
    )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=100)
@given(st.text(alphabet="!@#$%^&*()_+-=[]{};':\",./<>?\\|`~ \n\t😀🙏👍🔥", max_size=100))
def test_punctuation_and_emoji_only_give_the_fallback(matcher, text: str) -> None:
    assert matcher.match(text).intent is None
