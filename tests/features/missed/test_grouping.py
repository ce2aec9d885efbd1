"""Grouping missed questions: the matcher's normalisation, then the SIMILAR threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.features.missed.grouping import SIMILAR, group_missed, similarity, suggestions
from content import Content
from intents import Matcher
from intents.normalize import normalize
from storage.console_models import MissedQuestionRow

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PHONE = [  # one question, typed four ways: marks, none, abbreviations, another order
    "làm sao đổi số điện thoại trên vneid",
    "lam sao doi so dien thoai tren vneid",
    "cách đổi sđt trong vneid",
    "đổi số đt vneid thế nào ạ",
]
LOCKED = ["vneid bị khóa phải làm sao"]  # shares "vneid" and "làm sao", asks something else
WEATHER = ["thời tiết hôm nay thế nào", "thoi tiet hom nay ra sao"]
GOLD = ["giá vàng hôm nay", "gia vang hom nay bao nhieu"]  # shares "hôm nay" with the weather
ALONE = ["vneid"]  # one word: not grouped with every question that contains it


def _rows(texts: list[str]) -> list[MissedQuestionRow]:
    return [
        MissedQuestionRow(id=n, at=NOW - timedelta(hours=n), text=t, status="open")
        for n, t in enumerate(texts, start=1)
    ]


def test_variants_with_and_without_diacritics_form_one_group(content: Content) -> None:
    groups = group_missed(_rows([*WEATHER, *LOCKED, *PHONE, *GOLD, *ALONE]), content.lexicon)
    found = [sorted(row.text for row in g.rows) for g in groups]
    assert found[0] == sorted(PHONE)  # the biggest group first
    assert sorted(found[1:3]) == sorted([sorted(GOLD), sorted(WEATHER)])
    assert sorted(found[3:]) == [ALONE, LOCKED]
    phone = groups[0]
    assert phone.count == 4
    assert phone.first_seen == NOW - timedelta(hours=7)
    assert phone.last_seen == NOW - timedelta(hours=4)
    assert phone.ids == [4, 5, 6, 7]


def test_the_threshold_separates_subjects_that_share_words(content: Content) -> None:
    def key(text: str) -> str:
        return normalize(text, content.lexicon)

    assert similarity(key(PHONE[0]), key(PHONE[2])) >= SIMILAR
    assert similarity(key(PHONE[0]), key(PHONE[3])) >= SIMILAR
    assert similarity(key(PHONE[0]), key(LOCKED[0])) < SIMILAR
    assert similarity(key(WEATHER[0]), key(GOLD[0])) < SIMILAR
    assert similarity(key(ALONE[0]), key(PHONE[0])) < SIMILAR  # token_set would say 100


def test_suggestions_are_the_matchers_leaning(content: Content, matcher: Matcher) -> None:
    [group] = group_missed(_rows(PHONE), content.lexicon)
    suggested = suggestions(group, matcher)
    assert len(suggested) == 3
    assert suggested[0] == "vneid.account_issue.new_phone"
