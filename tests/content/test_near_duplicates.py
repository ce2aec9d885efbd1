"""The near-duplicate search of `trolyso content check` finds what comparing all pairs finds;
its array search and the examples' keys read from the matcher's index change nothing."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from content import Content
from content.checks import NEAR_DUPLICATE, find_collisions, near_pairs, plain_near_pairs
from intents import fold, normalize


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


def _grown(keys: list[str], owners: list[str], intents: int) -> tuple[list[str], list[str]]:
    """The keys of a content grown as bench/synthetic_content.py grows it: intents copied
    with two made-up topic words before or after every example (near copies by the
    thousand: the check's worst case)."""
    rng = random.Random(11)
    by_owner: dict[str, list[str]] = {}
    for key, owner in zip(keys, owners, strict=True):
        by_owner.setdefault(owner, []).append(key)
    bases = sorted(by_owner)
    syllables = sorted({word for key in keys for word in key.split()})
    grown_keys, grown_owners = list(keys), list(owners)
    seen = set(keys)
    for number in range(intents):
        base = rng.choice(bases)
        topic = " ".join(rng.choice(syllables) + rng.choice("aeiouy") for _ in range(2))
        for key in by_owner[base]:
            copy = f"{topic} {key}" if rng.random() < 0.7 else f"{key} {topic}"
            if copy not in seen:
                seen.add(copy)
                grown_keys.append(copy)
                grown_owners.append(f"{base}.syn{number}")
    return grown_keys, grown_owners


def test_the_array_search_gives_the_plain_search_pairs_on_a_grown_content(
    shipped: tuple[list[str], list[str]],
) -> None:
    """The array search (numpy, letter counts ruling pairs out) lists exactly the pairs, in
    exactly the order, of the plain search it replaced, on a content grown with near copies."""
    keys, owners = _grown(*shipped, intents=150)
    expected = plain_near_pairs(keys, owners)
    assert len(expected) > 300
    assert near_pairs(keys, owners) == expected
    for near in (85.0, 99.0, 100.0):
        assert near_pairs(keys[:4000], owners[:4000], near) == plain_near_pairs(
            keys[:4000], owners[:4000], near
        )


def test_the_array_search_gives_the_plain_search_pairs_with_typos(
    shipped: tuple[list[str], list[str]],
) -> None:
    keys, owners = list(shipped[0]), list(shipped[1])
    rng = random.Random(5)
    for number in range(600):
        keys.append(_with_typos(rng.choice(shipped[0]), rng) or "x")
        owners.append(f"copy.n{number % 50}")
    assert near_pairs(keys, owners) == plain_near_pairs(keys, owners)
    assert near_pairs(*shipped) == plain_near_pairs(*shipped)


def test_the_array_search_on_odd_keys() -> None:
    """Letters beyond 64 kinds (grouped), counts over 255 (capped), empty and repeated keys,
    one key, none: the same pairs as the plain search."""
    rng = random.Random(9)
    alphabet = [chr(c) for c in range(0x61, 0x7B)] + [chr(c) for c in range(0x3B1, 0x3D0)]
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(5, 40))) for _ in range(60)]
    keys = [*base, "a" * 300 + " b", "a" * 299 + " b", "", "", "x y", "x y", fold("Đà Nẵng")]
    keys += [_with_typos(key, rng) for key in base for _ in range(3)]
    owners = [f"o{n % 7}" for n in range(len(keys))]
    for near in (NEAR_DUPLICATE, 80.0):
        assert near_pairs(keys, owners, near) == plain_near_pairs(keys, owners, near)
    assert near_pairs(keys, owners) != []
    assert near_pairs(["a b"], ["o"]) == [] == near_pairs([], [])


def test_the_check_reports_the_same_with_the_keys_of_the_index(
    content: Content, tmp_path: Path
) -> None:
    """`trolyso content check` reads the examples' keys from the matcher's cached (or shipped)
    index instead of normalizing them again: the same problems, in the same order, on the
    shipped content and on one grown with near copies, a shared example and a wordless one."""
    from bot.matching import build_matcher, example_keys

    shipped = example_keys(content)
    assert shipped is not None  # the shipped index holds them
    assert list(find_collisions(content, normalized=shipped)) == list(find_collisions(content))

    rng = random.Random(4)
    grown = dict(content.intents)
    bases = [intent for intent in content.intents.values() if intent.id.count(".") == 1]
    for number, base in enumerate(rng.sample(bases, 12)):
        topic = f"chu de{number}"
        examples = [f"{topic} {e}" if rng.random() < 0.5 else f"{e}!" for e in base.examples]
        examples[0] = base.examples[0]  # the same question as its model's: an error
        examples[1] = "??? ..."  # no words at all
        intent_id = f"{base.id}.copy{number}"
        grown[intent_id] = base.model_copy(update={"id": intent_id, "examples": examples})
    bigger = replace(content, intents=grown)
    assert example_keys(bigger, tmp_path) is None  # no index of this content yet
    build_matcher(bigger, tmp_path)  # caches it, as `trolyso match` does
    keys = example_keys(bigger, tmp_path)
    assert keys is not None
    expected = list(find_collisions(bigger))
    assert {p.severity for p in expected} == {"error", "warning"}
    assert any("no words" in p.message for p in expected)
    assert list(find_collisions(bigger, normalized=keys)) == expected
