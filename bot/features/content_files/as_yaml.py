"""The content as one YAML file, and such a file read back.

The file has the layout of `content/faq/*.yaml` (`intents:` and a list of intents with the
schema's fields, in the schema's order), all intents in one file, so it can also be dropped
into a content folder as it is. Multi-line answers are literal blocks (`|-`); dates are plain
YAML dates. The output is deterministic: the same content gives the same bytes.

Reading refuses anchors and aliases (`&a`, `*a`: a few lines of them can expand to billions
of values), and says the line of every problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from bot.features.content_files.records import Draft, Loc, Problem, Refused
from content.loader import line_in
from content.schema import Intent

__all__ = ["read_yaml", "write_yaml"]

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, multi-line text as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def write_yaml(intents: Sequence[Intent]) -> bytes:
    """One YAML file holding these intents, byte for byte the same for the same intents."""
    data = {"intents": [intent.model_dump(mode="python") for intent in intents]}
    text = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000, indent=2
    )
    return text.encode("utf-8")


def read_yaml(data: bytes, filename: str) -> tuple[list[Draft], list[Problem]]:
    """The intents of a YAML file as drafts, and the problems of its structure."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise Refused(
            f"Tệp “{filename}” không phải chữ UTF-8 (lỗi từ dòng {line}). Hãy lưu lại tệp "
            "dưới dạng UTF-8."
        ) from None
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                at = event.start_mark.line + 1 if event.start_mark else "?"
                raise Refused(
                    f"Tệp “{filename}” dùng neo hoặc bí danh YAML (&, *) ở dòng {at}; "
                    "hãy viết đầy đủ từng giá trị."
                )
        root = yaml.compose(text, Loader=_LOADER)
        loaded = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = filename if mark is None else f"{filename}, dòng {mark.line + 1}"
        return [], [Problem(where, f"không phải YAML hợp lệ: {getattr(error, 'problem', error)}")]
    if not isinstance(loaded, dict) or not isinstance(loaded.get("intents"), list):
        return [], [Problem(filename, "tệp phải có dạng “intents:” và một danh sách chủ đề")]
    problems: list[Problem] = [
        Problem(f"{filename}, dòng {line_in(root, (key,))}", f"trường lạ «{key}»")
        for key in loaded
        if key != "intents"
    ]
    drafts: list[Draft] = []
    for index, item in enumerate(loaded["intents"]):
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    f"{filename}, dòng {line_in(root, ('intents', index))}",
                    "mỗi chủ đề phải là một bảng",
                )
            )
            continue

        def locate(loc: Loc, index: int = index) -> str:
            field = ".".join(str(part) for part in loc)
            where = f"{filename}, dòng {line_in(root, ('intents', index, *loc))}"
            return where + (f", trường {field}" if field else "")

        draft = Draft(dict(item), locate)
        examples = item.get("examples")
        for number, example in enumerate(examples if isinstance(examples, list) else []):
            if isinstance(example, str):
                draft.example_places.setdefault(example.strip(), locate(("examples", number)))
        drafts.append(draft)
    return drafts, problems
