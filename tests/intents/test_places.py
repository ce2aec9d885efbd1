"""Administrative units (34 provinces, 3,321 communes) and the commune index citizens type into."""

from __future__ import annotations

import dataclasses
import random
import string
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intents.normalize import fold
from intents.places import Commune, Places, Province, default_places_dir

PLACES = Places.load()  # the shipped data, loaded once (about 50 ms)


@pytest.fixture
def places() -> Places:
    return PLACES


def all_communes(places: Places) -> list[Commune]:
    return [c for p in places.provinces() for c in places.communes_in(p.code)]


# -- the shipped data -------------------------------------------------------------------


def test_shipped_data_has_the_2025_structure(places: Places) -> None:
    communes = all_communes(places)
    assert len(places.provinces()) == 34
    assert len(communes) == 3321
    assert len({c.code for c in communes}) == 3321
    kinds = {kind: sum(c.kind == kind for c in communes) for kind in ("Xã", "Phường", "Đặc khu")}
    assert kinds == {"Xã": 2621, "Phường": 687, "Đặc khu": 13}
    assert all(c.name == f"{c.kind} {c.short}" for c in communes)
    assert (default_places_dir() / "NOTICE.md").exists()


def test_lookups_by_code(places: Places) -> None:
    assert places.province("52") == Province("52", "Tỉnh Gia Lai", "Gia Lai")
    ia_grai = places.commune("23764")
    assert ia_grai is not None
    assert (ia_grai.name, ia_grai.kind, ia_grai.province_code) == ("Xã Ia Grai", "Xã", "52")
    assert ia_grai.label == "Xã Ia Grai, Gia Lai"
    assert ia_grai in places.communes_in("52")
    assert places.commune("99999") is None
    assert places.province("00") is None
    assert places.communes_in("00") == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ia_grai.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("gia lai", "52"),
        ("toi o tinh gia lai", "52"),
        ("gialai", "52"),
        ("tphcm", "79"),
        ("TP.HCM", "79"),
        ("sài gòn", "79"),
        ("hn", "01"),
        ("Quảng Nam", "48"),  # merged into Đà Nẵng
        ("binh duong", "79"),
        ("khanhhoa", "56"),  # typed as one word: fold() squeezes "hh"
        ("xa ia grai, binh dinh, nay la gia lai", "52"),  # the rightmost mention
    ],
)
def test_find_province(places: Places, text: str, code: str) -> None:
    province = places.find_province(text)
    assert province is not None
    assert province.code == code


@pytest.mark.parametrize("text", ["", "xin chao", "thue", "abc"])
def test_find_province_none(places: Places, text: str) -> None:
    assert places.find_province(text) is None


# -- search: found ------------------------------------------------------------------------

FOUND = [
    ("xa ia grai gia lai", "23764"),
    ("Xã Ia Grai, tỉnh Gia Lai", "23764"),
    ("XA IA GRAI GIA LAI", "23764"),
    ("iagrai gialai", "23764"),
    ("xa iagrai tinhgialai", "23764"),
    ("toi o xa ia grai tinh gia lai", "23764"),
    ("toi o xa ia grai tinh gia lai muon lam can cuoc", "23764"),
    ("tinh gia lai, xa ia grai", "23764"),
    ("xa ia grai binh dinh", "23764"),  # old province name, merged into Gia Lai
    ("xa ia grai", "23764"),  # unique nationwide
    ("xa ia grai muon lam cccd", "23764"),
    ("xa ia grqi gia lai", "23764"),  # typo
    ("xa iaa grai gia lai", "23764"),
    ("p. ben thanh tphcm", "26743"),
    ("phường bến thành, tp.hcm", "26743"),
    ("phuong ben thanh thanh pho ho chi minh", "26743"),
    ("f ben thanh sai gon", "26743"),
    ("ben thanh", "26743"),  # "thanh" inside a name is not a type word
    ("xa tue tinh hai phong", "10909"),  # "tinh" ends the name, not "tỉnh"
    ("phuong lao cai", "02647"),  # a province name inside a commune name
    ("xa duc hue", "27925"),  # "hue" is a province too
    ("phuong liet", "00352"),  # "phuong" starts the name
    ("phuong phuong liet ha noi", "00352"),
    ("xa my tho dong thap", "30076"),  # the type word settles Xã Mỹ Thọ / Phường Mỹ Tho
    ("phuong my tho dong thap", "28261"),
    ("phuong 1 bao loc lam dong", "24823"),
]


@pytest.mark.parametrize(("text", "code"), FOUND)
def test_search_found(places: Places, text: str, code: str) -> None:
    match = places.search(text)
    assert match.status == "found", match
    assert [c.code for c in match.candidates] == [code]
    assert not match.needs_province


def test_found_carries_the_province_typed(places: Places) -> None:
    assert places.search("xa ia grai gia lai").province == places.province("52")
    assert places.search("xa ia grai").province is None


# -- search: ambiguous --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "province"),
    [
        # names that collide inside one province once folded (shared/reference, section 5)
        ("cam giang hai phong", {"Xã Cẩm Giang", "Xã Cẩm Giàng"}, "31"),
        ("xa cam giang hai phong", {"Xã Cẩm Giang", "Xã Cẩm Giàng"}, "31"),
        ("son ha quang ngai", {"Xã Sơn Hà", "Xã Sơn Hạ"}, "51"),
        ("xa ba to quang ngai", {"Xã Ba Tơ", "Xã Ba Tô"}, "51"),
        ("xa loc thanh dong nai", {"Xã Lộc Thạnh", "Xã Lộc Thành"}, "75"),
        ("my tho dong thap", {"Phường Mỹ Tho", "Xã Mỹ Thọ"}, "82"),
    ],
)
def test_same_name_in_one_province(
    places: Places, text: str, names: set[str], province: str
) -> None:
    match = places.search(text)
    assert match.status == "ambiguous"
    assert {c.name for c in match.candidates} == names
    assert match.province is not None
    assert match.province.code == province
    assert not match.needs_province


@pytest.mark.parametrize("text", ["xa an binh", "an binh", "xa quang ninh", "phuong 1", "p1"])
def test_same_name_in_several_provinces_needs_the_province(places: Places, text: str) -> None:
    match = places.search(text)
    assert match.status == "ambiguous"
    assert 2 <= len(match.candidates) <= 5
    assert len({c.province_code for c in match.candidates}) > 1
    assert match.province is None
    assert match.needs_province


def test_giving_the_province_resolves_it(places: Places) -> None:
    match = places.search("xa an binh vinh long")
    assert match.status == "found"
    assert match.candidates[0].label == "Xã An Bình, Vĩnh Long"


def test_close_typos_are_offered(places: Places) -> None:
    match = places.search("xa ia grsi gia lai")  # as close to Ia Grai as to Ia Rsai
    assert match.status == "ambiguous"
    assert {c.name for c in match.candidates[:2]} == {"Xã Ia Grai", "Xã Ia Rsai"}


def test_limit_is_respected(places: Places) -> None:
    assert len(places.search("xa an binh", limit=2).candidates) == 2
    assert len(places.search("xa an binh", limit=0).candidates) == 2  # kept at least 2
    assert len(places.search("xa an binh", limit=50).candidates) <= 20


# -- search: none -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "?!.,",
        "asdfgh",
        "\x00\xff\ufffd\u200b abc",
        "chao",
        "hello",
        "xa",
        "phuong",
        "toi muon lam can cuoc",
        "chuyen doi so la gi",
        "mở tài khoản ngân hàng trên điện thoại làm sao",
        "thủ tục đăng ký kết hôn ở xã cần gì",
    ],
)
def test_search_none(places: Places, text: str) -> None:
    match = places.search(text)
    assert match.status == "none", match
    assert match.candidates == ()
    assert not match.needs_province


def test_a_province_alone_is_not_a_commune(places: Places) -> None:
    match = places.search("gia lai")
    assert (match.status, match.province) == ("none", places.province("52"))


def test_a_name_missing_from_the_province_typed(places: Places) -> None:
    # Old numbered wards of Ho Chi Minh City were merged away in 2025.
    match = places.search("phuong 1 tphcm")
    assert (match.status, match.province) == ("none", places.province("79"))
    match = places.search("xa ia grai quang nam")
    assert match.status == "none"


def test_long_and_odd_input_is_fast_and_safe(places: Places) -> None:
    rng = random.Random(3)
    texts = [
        "x" * 10_000,
        "xa ia grai gia lai " * 600,
        "".join(rng.choice(string.printable) for _ in range(10_000)),
        "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(10_000)),
        "\udcff\x00" * 5_000,
    ]
    for text in texts:
        start = time.perf_counter()
        match = places.search(text)
        assert time.perf_counter() - start < 0.1
        assert match.status in ("found", "ambiguous", "none")
    assert places.search(b"xa ia grai".decode()).status == "found"
    assert places.search(b"xa ia grai").status == "none"  # type: ignore[arg-type]
    assert places.find_province(None) is None  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=-3, max_value=30))
def test_search_never_raises_and_keeps_its_contract(text: str, limit: int) -> None:
    match = PLACES.search(text, limit)
    count = len(match.candidates)
    if match.status == "found":
        assert count == 1
    elif match.status == "ambiguous":
        assert 2 <= count <= max(2, min(limit, 20))
    else:
        assert match.status == "none"
        assert count == 0
    assert not match.needs_province or (match.status == "ambiguous" and match.province is None)


# -- deployments limited to some provinces --------------------------------------------------


def test_limit_to_provinces_by_any_name() -> None:
    for given_as in (["gia lai"], ["52"], ["Tỉnh Gia Lai"], ["GIA LAI"], ["Bình Định"], "gialai"):
        places = Places.load(provinces=given_as)
        assert [p.code for p in places.provinces()] == ["52"], given_as
    places = Places.load(provinces=["gia lai", "Thành phố Hồ Chí Minh"])
    assert [p.code for p in places.provinces()] == ["52", "79"]


def test_limited_deployment_searches_only_its_provinces() -> None:
    places = Places.load(provinces=["gia lai"])
    assert places.search("xa ia grai").status == "found"
    assert places.communes_in("79") == ()
    assert places.province("79") is None
    assert places.commune("26743") is None  # Bến Thành
    match = places.search("p. ben thanh tphcm")
    assert match.status == "none"
    assert match.province is not None
    assert match.province.code == "79"  # the bot can say it serves Gia Lai only
    assert places.search("phuong ben thanh").status == "none"
    # Citizens say "xã" loosely: the only An Bình of Gia Lai is a phường.
    assert places.search("xa an binh").candidates[0].name == "Phường An Bình"


@pytest.mark.parametrize("bad", ["Atlantis", "", "99", "gia lai xa ia grai"])
def test_unknown_province_in_the_limit_raises(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown province") as error:
        Places.load(provinces=["gia lai", bad])
    assert repr(bad) in str(error.value)


# -- loading other files --------------------------------------------------------------------

HEADER = (
    "province_code,province_name,province_short,"
    "commune_code,commune_name,commune_short,commune_type\n"
)


def test_load_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "admin_units.csv").write_text(
        HEADER + "52,Tỉnh Gia Lai,Gia Lai,23764,Xã Ia Grai,Ia Grai,Xã\n", encoding="utf-8"
    )
    places = Places.load(tmp_path)
    assert places.search("iagrai").candidates[0].code == "23764"
    assert places.find_province("binh dinh") is None  # no alias file


def test_bad_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "admin_units.csv").write_text("code,name\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"admin_units\.csv"):
        Places.load(tmp_path)
    (tmp_path / "admin_units.csv").write_text(HEADER + "52,,Gia Lai,1,Xã A,A,Xã\n", "utf-8")
    with pytest.raises(ValueError, match="line 2"):
        Places.load(tmp_path)


# -- accuracy on queries made from every commune ----------------------------------------------


def typo(word: str, rng: random.Random) -> str:
    """One random edit at a letter of `word`: substitute, delete, insert or swap."""
    letters = string.ascii_lowercase
    positions = [i for i, ch in enumerate(word) if ch.isalpha()]
    i = rng.choice(positions)
    op = rng.choice(("sub", "del", "ins", "swap"))
    if op == "sub":
        return word[:i] + rng.choice([c for c in letters if c != word[i]]) + word[i + 1 :]
    if op == "del" and len(positions) > 2:
        return word[:i] + word[i + 1 :]
    if op == "swap" and i + 1 < len(word) and word[i + 1].isalpha() and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice(letters) + word[i:]


def top1(places: Places, queries: list[tuple[str, str]]) -> tuple[float, float]:
    """Share of queries whose first candidate is right, and share wrongly "found"."""
    right = wrong_found = 0
    for text, code in queries:
        match = places.search(text)
        ok = bool(match.candidates) and match.candidates[0].code == code
        right += ok
        wrong_found += match.status == "found" and not ok
    return right / len(queries), wrong_found / len(queries)


def test_accuracy_type_name_province(places: Places) -> None:
    queries = [
        (f"{fold(c.kind)} {fold(c.short)} {fold(c.province_short)}", c.code)
        for c in all_communes(places)
    ]
    accuracy, wrong = top1(places, queries)
    assert accuracy >= 0.98
    assert wrong <= 0.002


def test_accuracy_with_one_typo_in_the_name(places: Places) -> None:
    rng = random.Random(20250701)
    queries = [
        (f"{fold(c.kind)} {typo(fold(c.short), rng)} {fold(c.province_short)}", c.code)
        for c in all_communes(places)
    ]
    accuracy, wrong = top1(places, queries)
    assert accuracy >= 0.95
    assert wrong <= 0.01
