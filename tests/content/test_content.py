"""The shipped content: complete, valid, true to today's facts, and self-consistent."""

import re
from pathlib import Path

import pytest
import yaml

from content.checks import find_collisions
from intents.evaluation import credit
from tests.conftest import DATA

SHARED_TAXONOMY = Path(__file__).resolve().parents[3] / "shared" / "intent-taxonomy.yaml"


def taxonomy_ids(path: Path) -> set[str]:
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {item["id"] for items in groups.values() for item in items}


def test_vendored_taxonomy_matches_shared_copy_when_present() -> None:
    if not SHARED_TAXONOMY.exists():
        pytest.skip("../shared is not beside the checkout")
    assert taxonomy_ids(SHARED_TAXONOMY) == taxonomy_ids(DATA / "intent-taxonomy.yaml")


def test_every_taxonomy_intent_exists(content) -> None:
    missing = taxonomy_ids(DATA / "intent-taxonomy.yaml") - set(content.intents)
    assert missing == set()


def test_added_intents_narrow_a_taxonomy_intent_or_are_decoys(content) -> None:
    known = taxonomy_ids(DATA / "intent-taxonomy.yaml")
    for intent_id in content.intents:
        assert (
            intent_id in known
            or intent_id.startswith("oos.")
            or any(intent_id.startswith(k + ".") for k in known)
        ), intent_id


def test_there_are_enough_decoys(content) -> None:
    assert sum(1 for i in content.intents if i.startswith("oos.")) >= 8


def test_no_collisions_between_intents(content) -> None:
    assert [str(p) for p in find_collisions(content) if p.severity == "error"] == []


def test_every_intent_is_well_formed(content) -> None:
    for intent in content.intents.values():
        assert len(intent.examples) >= 10, intent.id
        assert len(intent.answer) <= 900, intent.id
        assert len(intent.title) <= 32, intent.id
        assert intent.sources, intent.id
        assert "**" not in intent.answer, intent.id
        assert "##" not in intent.answer, intent.id


STALE = [
    (re.compile(r"\b(UBND|cấp) huyện\b", re.IGNORECASE), "no district level since 1/7/2025"),
    (re.compile(r"Sở Thông tin và Truyền thông|Sở TT&TT"), "merged into Sở Khoa học và Công nghệ"),
    (re.compile(r"63 tỉnh"), "34 provinces since 1/7/2025"),
]


@pytest.mark.parametrize(("pattern", "why"), STALE, ids=[s[1] for s in STALE])
def test_answers_do_not_state_stale_facts(content, pattern: re.Pattern[str], why: str) -> None:
    stale = [i.id for i in content.intents.values() if pattern.search(i.answer)]
    assert stale == [], why


def test_ministry_is_named_as_it_is_today(content) -> None:
    for intent in content.intents.values():
        if "Bộ Thông tin và Truyền thông" in intent.answer:
            assert "Khoa học và Công nghệ" in intent.answer, intent.id


def test_decree_13_is_never_presented_as_current(content) -> None:
    for intent in content.intents.values():
        if "13/2023" in intent.answer:
            assert "356/2025" in intent.answer or "91/2025" in intent.answer, intent.id


def test_bot_never_asks_for_secrets(content) -> None:
    asking = re.compile(r"(gửi|cung cấp|nhắn) (cho tôi|cho bot|cho Trợ lý)[^.]*(OTP|mật khẩu)")
    assert [i.id for i in content.intents.values() if asking.search(i.answer)] == []


def test_examples_find_their_own_intent(content, matcher) -> None:
    """Nearly every example question, asked as is, gets its own intent (or a narrower one)."""
    total = wrong = 0
    for intent in content.intents.values():
        for example in intent.examples:
            total += 1
            predicted = matcher.match(example).intent
            family = intent.id if not intent.out_of_scope else None
            if intent.out_of_scope:
                wrong += predicted is not None and not predicted.startswith("oos.")
            else:
                wrong += credit(predicted, family) != family and not (
                    predicted and family and family.startswith(predicted + ".")
                )
    assert wrong / total <= 0.03, f"{wrong} of {total} examples miss their own intent"
