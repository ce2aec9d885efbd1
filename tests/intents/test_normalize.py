import unicodedata

import pytest

from intents import Lexicon, fold, normalize, unify_tones
from intents.normalize import tokenize

FOLD_CASES = [
    ("Làm căn cước ở đâu?", "lam can cuoc o dau"),
    ("ĐĂNG KÝ", "dang ky"),
    ("đường", "duong"),
    ("Ðăng ký", "dang ky"),  # eth, the usual mojibake of Đ
    (unicodedata.normalize("NFD", "Làm căn cước ở đâu"), "lam can cuoc o dau"),
    ("Hoà\u200bBình", "hoa binh"),  # zero-width space separates words
    ("dịch\u00a0vụ", "dich vu"),
    ("khônggggg", "khong"),
    ("dcc", "dc"),
    ("cccd", "cd"),  # squeezed like an elongation unless protected (see the next test)
    ("İstanbul", "istanbul"),  # lowercasing adds a combining dot: dropped, word kept whole
    ("10/10", "10 10"),
    ("<b>xin chào</b>", "b xin chao b"),
    ("", ""),
    ("!!!???", ""),
]


@pytest.mark.parametrize(
    ("text", "expected"), FOLD_CASES, ids=[c[0] or "empty" for c in FOLD_CASES]
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_keeps_protected_abbreviations() -> None:
    assert fold("CCCD", protected=["cccd"]) == "cccd"
    assert fold("cccccd", protected=["cccd"]) == "cd"


def test_tokenize_remembers_marks_but_not_d_stroke() -> None:
    tokens = tokenize("đc nhà nha")
    assert [(t.text, t.marked) for t in tokens] == [("dc", False), ("nha", True), ("nha", False)]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(
        teencode={"ko": ("khong",), "dc": ("duoc",), "hong": ("khong",), "cccd": ("can", "cuoc")},
        synonyms={("o", "mo"): ("o", "dau"), ("o", "dau"): ("o", "dau")},
        fillers=frozenset({"a", "ạ", "nha"}),
        protected=frozenset({"cccd"}),
    )


NORMALIZE_CASES = [
    ("ko dc", "khong duoc"),
    ("đc ko", "duoc khong"),
    ("hồng", "hong"),  # typed with marks: a real word, never teencode
    ("hong", "khong"),
    ("lam cccd o mo", "lam can cuoc o dau"),
    ("làm căn cước ở mô ạ", "lam can cuoc o dau"),
    ("về nhà nha", "ve nha"),  # "nhà" (house) kept, "nha" (particle) dropped
    ("KOOOO", "khong"),
    ("jjjjjjj", ""),
]


@pytest.mark.parametrize(
    ("text", "expected"), NORMALIZE_CASES, ids=[c[0] for c in NORMALIZE_CASES]
)
def test_normalize(text: str, expected: str, lexicon: Lexicon) -> None:
    assert normalize(text, lexicon) == expected


def test_shipped_lexicon_expands_teencode(content) -> None:
    assert normalize("quen mk vneid ko dc", content.lexicon) == "quen mat khau vneid khong duoc"
    assert normalize("sdt", content.lexicon) == "so dien thoai"


TONE_CASES = [
    # (text, old style, new style)
    ("hoà", "hòa", "hoà"),
    ("tòan", "toàn", "toàn"),
    ("quý", "quý", "quý"),
    ("khuỷu", "khuỷu", "khuỷu"),
    ("thuỷ", "thủy", "thuỷ"),
    ("người", "người", "người"),
    ("giá", "giá", "giá"),
    ("HOÀ", "HÒA", "HOÀ"),
    ("Nguyễn Uý", "Nguyễn Úy", "Nguyễn Uý"),
    ("google", "google", "google"),
]


@pytest.mark.parametrize(("text", "old", "new"), TONE_CASES, ids=[c[0] for c in TONE_CASES])
def test_unify_tones(text: str, old: str, new: str) -> None:
    assert unify_tones(text) == old
    assert unify_tones(text, new_style=True) == new
    assert fold(unify_tones(text)) == fold(text)
