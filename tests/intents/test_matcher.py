import pytest

from intents import Lexicon, Matcher, Thresholds
from intents.bm25 import BM25Index, terms_of


def test_terms_are_unigrams_and_bigrams() -> None:
    assert terms_of(["mat", "khau", "vneid"]) == ["mat", "khau", "vneid", "mat_khau", "khau_vneid"]


def test_bm25_prefers_the_document_with_rarer_shared_terms() -> None:
    index = BM25Index([["quen", "mat", "khau"], ["mat", "dien"], ["lam", "can", "cuoc"]])
    scores = index.scores(["quen", "mat", "khau"])
    assert max(scores, key=lambda doc: scores[doc]) == 0
    assert 2 not in scores


@pytest.fixture(scope="module")
def small() -> Matcher:
    intents = [
        ("vneid.account_issue", ["quen mat khau vneid", "vneid khong nhan duoc otp"] * 1),
        ("dvc.citizen_id", ["lam can cuoc o dau", "cap lai can cuoc"]),
        ("dvc.citizen_id.lost", ["mat can cuoc phai lam sao", "bi mat the can cuoc"]),
    ]
    return Matcher(intents, Lexicon.empty(), Thresholds(answer_threshold=0.5, ambiguity_gap=0.05))


def test_small_matcher_answers_and_ranks(small: Matcher) -> None:
    result = small.match("quên mật khẩu VNeID")
    assert result.intent == "vneid.account_issue"
    assert 0.5 <= result.score <= 1.0
    assert all(c.score <= result.score for c in result.alternatives)


def test_unknown_words_give_the_fallback(small: Matcher) -> None:
    result = small.match("gia vang hom nay")
    assert result.intent is None
    assert result.ranked == ()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("quen mat khau vneid", "vneid.account_issue"),
        ("quên mk vneid thì làm sao", "vneid.account_issue"),
        ("lam cccd o dau", "dvc.citizen_id"),
        ("Đăng ký khai sinh cho con online thế nào?", "dvc.birth_registration"),
        ("bi lua chuyen tien roi phai lam gi", "safety.scam_victim"),
        ("co nguoi xin ma otp co nen dua ko", "safety.otp"),
        ("ngay chuyen doi so quoc gia la ngay nao", "nds.date"),
        ("xin chao", "bot.greeting"),
        ("cam on ban nhieu", "bot.thanks"),
        ("toi can nguoi huong dan truc tiep", "help.request"),
        ("lam ho chieu o dau", "oos.passport"),
    ],
)
def test_shipped_content_matches_typical_messages(
    matcher: Matcher, text: str, intent: str
) -> None:
    assert matcher.match(text).intent == intent


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀😀", "asdfghjkl qwerty", "\x00\x01\x02", "????"],
)
def test_junk_gets_the_fallback(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).intent is None


@pytest.mark.parametrize(
    ("text", "declined"),
    [
        ("gia vang sjc hom nay", "oos.prices"),
        ("ket qua xo so mien bac", "oos.lottery"),
        ("mai troi co mua khong", "oos.weather"),
        ("hom nay an gi", "oos.food"),
    ],
)
def test_far_topics_are_declined(matcher: Matcher, text: str, declined: str) -> None:
    """Each gets its own polite "not my field" answer, not a guess among the FAQs."""
    result = matcher.match(text)
    assert (result.intent, result.action) == (declined, "answer"), result


def test_close_candidates_ask_for_clarification() -> None:
    intents = [
        ("a.one", ["dang ky tai khoan ngan hang", "mo tai khoan"]),
        ("a.two", ["dang ky tai khoan vneid", "kich hoat tai khoan"]),
    ]
    matcher = Matcher(
        intents, Lexicon.empty(), Thresholds(answer_threshold=0.2, ambiguity_gap=0.3)
    )
    result = matcher.match("dang ky tai khoan")
    assert result.ambiguous
    assert {c.intent for c in result.choices} == {"a.one", "a.two"}


def test_long_messages_are_read_up_to_the_limit(matcher: Matcher) -> None:
    text = "quen mat khau vneid " + "x" * 10_000
    assert matcher.match(text).intent == "vneid.account_issue"


def test_typos_in_long_words_are_corrected(matcher: Matcher) -> None:
    assert matcher.match("mobile mony la gi").intent == "cashless.mobile_money"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script>",
        "'; DROP TABLE users; --",
        "SELECT * FROM intents WHERE 1=1",
        "a" * 10_000,
        "what is the weather like today",
    ],
)
def test_markup_sql_and_english_chatter_get_the_fallback(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).intent is None
