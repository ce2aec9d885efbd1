"""The near-duplicate search of `trolyso content check` finds what comparing all pairs finds."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz, process

from content import Content
from content.checks import NEAR_DUPLICATE, near_pairs
from intents import normalize


def all_pairs(keys: list[str], owners: list[str]) -> list[tuple[int, int]]:
    """The reference: every pair compared (what the check did before)."""
    found: list[tuple[int, int]] = []
    for i, key in enumerate(keys):
        for _, _, j in process.extract(
            key, keys, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE, limit=None
        ):
            if j > i and owners[i] != owners[j]:
                found.append((i, j))
    return found


@pytest.fixture(scope="module")
def shipped(content: Content) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    owners: list[str] = []
    seen: set[str] = set()
    for intent in content.intents.values():
        for example in intent.examples:
            key = normalize(example, content.lexicon)
            if key and key not in seen:
                seen.add(key)
                keys.append(key)
                owners.append(intent.id)
    return keys, owners


def test_the_shipped_content_gives_what_all_pairs_give(
    shipped: tuple[list[str], list[str]],
) -> None:
    keys, owners = shipped
    assert near_pairs(keys, owners) == all_pairs(keys, owners)


def _with_typos(text: str, rng: random.Random) -> str:
    letters = list(text)
    for _ in range(rng.randint(1, max(1, len(letters) // 12))):
        at = rng.randrange(len(letters))
        roll = rng.random()
        if roll < 0.33:
            letters.insert(at, rng.choice("abcdeghiklmnopqrstuvxy "))
        elif roll < 0.66 and len(letters) > 1:
            del letters[at]
        else:
            letters[at] = rng.choice("abcdeghiklmnopqrstuvxy ")
    return " ".join("".join(letters).split())


def test_copies_with_typos_in_other_intents_are_nearly_all_found(
    shipped: tuple[list[str], list[str]],
) -> None:
    """600 examples copied into new intents with random typos (the worst case for a search by
    rare words: a typo can fall on the rare word): the same pairs as all pairs, give or take
    a few hundredths, and never a pair all pairs would not report."""
    keys, owners = list(shipped[0]), list(shipped[1])
    rng = random.Random(3)
    seen = set(keys)
    for number in range(600):
        copy = _with_typos(rng.choice(shipped[0]), rng)
        if copy and copy not in seen:
            seen.add(copy)
            keys.append(copy)
            owners.append(f"copy.n{number}")
    expected = all_pairs(keys, owners)
    found = near_pairs(keys, owners)
    assert len(expected) > 400
    assert set(found) <= set(expected)
    assert len(found) >= 0.98 * len(expected)
    assert found == sorted(found, key=lambda pair: pair[0])  # reported by the first example


def test_pairs_within_one_intent_are_not_reported() -> None:
    keys = ["dang ky tam tru truc tuyen nhu the nao", "dang ky tam tru truc tuyen nhu the naoo"]
    assert near_pairs(keys, ["dvc.a", "dvc.a"]) == []
    assert near_pairs(keys, ["dvc.a", "dvc.b"]) == [(0, 1)]
