"""FAQ files read through their JSON copies: the same content, and never a stale copy."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from content import Content, load_content
from content.yaml_cache import load_yaml


@pytest.fixture
def folder(content: Content, tmp_path: Path) -> Path:
    assert content.root is not None
    return Path(shutil.copytree(content.root, tmp_path / "content"))


def _refuse_faq_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if a FAQ file's YAML is parsed (the small config files are parsed every time)."""
    parse = yaml.load

    def refuse(text: str, *args: Any, **kwargs: Any) -> Any:
        if "\nintents:" in text or text.startswith("intents:"):
            raise AssertionError("a FAQ file was parsed again")
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(yaml, "load", refuse)


def test_the_content_read_through_the_cache_is_the_same(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    plain = load_content(folder)
    first = load_content(folder, cache)
    copies = sorted(cache.glob("yaml-*.json"))
    assert len(copies) == len(list((folder / "faq").glob("*.yaml")))
    _refuse_faq_yaml(monkeypatch)
    again = load_content(folder, cache)
    assert first.intents == plain.intents
    assert again.intents == plain.intents
    some = next(iter(again.intents.values()))
    assert type(some.reviewed).__name__ == "date"


def test_an_edited_file_is_parsed_again_and_its_old_copy_removed(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    load_content(folder, cache)
    path = sorted((folder / "faq").glob("*.yaml"))[0]
    before = {p.name for p in cache.glob("yaml-*.json")}
    text = path.read_text(encoding="utf-8")
    first_id = yaml.safe_load(text)["intents"][0]["id"]
    path.write_text(text.replace("examples:\n", "examples:\n      - cau hoi moi them vao\n", 1))
    edited = load_content(folder, cache)
    after = {p.name for p in cache.glob("yaml-*.json")}
    assert len(after) == len(before)
    assert len(after - before) == 1
    assert [i.id for i in edited.intents.values() if "cau hoi moi them vao" in i.examples] == [
        first_id
    ]


def test_data_json_cannot_hold_is_parsed_every_time(tmp_path: Path) -> None:
    text = "1: one\nwhen: 2026-01-02T03:04:05\n"
    assert load_yaml(text, "odd.yaml", tmp_path) == yaml.safe_load(text)
    assert list(tmp_path.glob("yaml-*.json")) == []  # a number key, a time: not kept
    dated = "reviewed: 2026-01-02\nalso: {'$date': '2026-01-02'}\n"
    assert load_yaml(dated, "dated.yaml", tmp_path) == yaml.safe_load(dated)
    assert list(tmp_path.glob("yaml-*.json")) == []  # a map that looks like a tagged date


def test_a_damaged_copy_is_never_trusted(tmp_path: Path) -> None:
    text = "intents: [a, b]\n"
    assert load_yaml(text, "x.yaml", tmp_path) == {"intents": ["a", "b"]}
    [copy] = tmp_path.glob("yaml-*.json")
    copy.write_text("{broken", encoding="utf-8")
    assert load_yaml(text, "x.yaml", tmp_path) == {"intents": ["a", "b"]}
    assert copy.read_text(encoding="utf-8") == '{"intents": ["a", "b"]}'  # written again


def test_invalid_yaml_still_raises(tmp_path: Path) -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [unclosed\n", "bad.yaml", tmp_path)


def test_a_file_s_bytes_read_as_its_text_and_decoded_only_to_be_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import content.yaml_cache as yaml_cache

    path = tmp_path / "crlf.yaml"
    path.write_bytes("intents:\r\n  - id: a\r\n    note: |\r\n      một\r\n      hai\r\n".encode())
    expected = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert expected == {"intents": [{"id": "a", "note": "một\nhai\n"}]}
    assert load_yaml(path.read_bytes(), "crlf.yaml") == expected  # no cache
    assert load_yaml(path.read_bytes(), "crlf.yaml", tmp_path / "cache") == expected
    assert yaml_cache.text_of(b"a\rb\r\nc\n") == "a\nb\nc\n"

    def refuse(raw: bytes) -> str:
        raise AssertionError("decoded again")

    monkeypatch.setattr(yaml_cache, "text_of", refuse)
    assert load_yaml(path.read_bytes(), "crlf.yaml", tmp_path / "cache") == expected
    with pytest.raises(AssertionError, match="decoded again"):  # another text: parsed
        load_yaml(path.read_bytes() + b"\r\n", "crlf.yaml", tmp_path / "cache")


def test_bytes_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnicodeDecodeError):
        load_yaml("intents: [cà]\n".encode("cp1258"), "x.yaml", tmp_path)
    assert list(tmp_path.glob("yaml-*.json")) == []


@pytest.mark.parametrize("cached", [False, True])
def test_a_faq_file_that_is_not_utf8_is_a_problem_of_that_file(
    folder: Path, tmp_path: Path, cached: bool
) -> None:
    from content import ContentError

    path = sorted((folder / "faq").glob("*.yaml"))[0]
    path.write_bytes(path.read_bytes() + "# cà\n".encode("cp1258"))
    with pytest.raises(ContentError) as error:
        load_content(folder, tmp_path / "cache" if cached else None)
    assert [(p.file, p.message) for p in error.value.problems if "UTF-8" in p.message] == [
        (str(path), "not UTF-8 text: invalid continuation byte")
    ]
