"""Operators edit content/support.yaml: every key the code uses exists, typos are located."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from content import default_content_dir
from content.support_texts import FIELDS, check_support_texts, load_support_texts

ROOT = Path(__file__).resolve().parents[2]


def _keys_used_in_code() -> set[str]:
    """Every literal first argument of self.t(...) / self.texts(...) / kit.texts(...)."""
    used: set[str] = set()
    for path in [*(ROOT / "bot" / "support").glob("*.py"), ROOT / "bot" / "assistant.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("t", "texts") or not node.args:
                continue
            first = node.args[0]
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for arg in options:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    used.add(arg.value)
    return used


def test_every_key_the_code_uses_is_declared_and_shipped() -> None:
    used = _keys_used_in_code()
    assert len(used) > 100
    assert used <= set(FIELDS), sorted(used - set(FIELDS))
    load_support_texts(default_content_dir() / "support.yaml")


def test_a_shipped_key_nobody_uses_is_noticed() -> None:
    """Keys are sometimes chosen in a variable first, so look for the quoted key anywhere."""
    code = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "bot").rglob("*.py"))
    unused = [key for key in FIELDS if f'"{key}"' not in code]
    assert unused == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("request_opened:", "request_openned:"), "request_opened: missing text"),
        (("{ref}. Tình nguyện viên", "{code}. Tình nguyện viên"), "unknown {code}"),
        (("Mã yêu cầu: {ref}", "Mã yêu cầu: {ref"), "broken braces"),
    ],
)
def test_operator_typos_are_reported_with_line_and_key(tmp_path, edit, expected) -> None:
    source = (default_content_dir() / "support.yaml").read_text(encoding="utf-8")
    assert edit[0] in source
    path = tmp_path / "support.yaml"
    path.write_text(source.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"support\.yaml:") as error:
        load_support_texts(path)
    assert expected in str(error.value)


def test_broken_yaml_is_reported_with_its_line(tmp_path) -> None:
    path = tmp_path / "support.yaml"
    path.write_text("cancel_button: Hủy\n  bad: [indent\n", encoding="utf-8")
    texts, problems = check_support_texts(path)
    assert texts is None
    [(line, key, message)] = problems
    assert (line, key) == (2, "")  # "bad:" on line 2, where no mapping may start
    assert message.startswith("not valid YAML: mapping values are not allowed here")


def test_the_texts_are_read_with_libyaml_as_the_pure_python_parser_reads_them() -> None:
    """libyaml (read at every start, ~20x faster) gives the same texts; its error messages
    differ, so a broken file is parsed again by the pure-Python parser (the test above)."""
    from content import support_texts

    source = (default_content_dir() / "support.yaml").read_text(encoding="utf-8")
    assert support_texts._FAST_LOADER is yaml.CSafeLoader
    assert support_texts._load(source) == yaml.safe_load(source)
