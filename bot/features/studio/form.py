"""The studio's edit form: an intent as form fields, and form fields back to an intent.

The rules are the schema's (content/schema.py): the form only reads the fields (examples and
follow-ups one per line, sources one per line as "title | url | date") and says, in
Vietnamese and per field, what the schema refused. Nothing here decides what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from content.schema import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, MIN_EXAMPLES, Intent, Source

__all__ = ["FIELDS", "Draft", "as_fields", "read_draft"]

FIELDS = (
    "id",
    "topic",
    "title",
    "examples",
    "answer",
    "follow_ups",
    "sources",
    "reviewed",
    "review_by",
)
MAX_FIELD = 20_000  # characters a textarea may bring (the form itself is at most 64 KiB)
MAX_LINES = 600
_SPLIT = re.compile(r"\s*\|\s*")


@dataclass
class Draft:
    """What the operator typed, the errors per field, and the intent when there are none."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    intent: Intent | None = None
    # Parsed parts, kept for the preview even when another field is wrong.
    parsed: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()][:MAX_LINES]


def _date(text: str) -> date | None:
    text = text.strip()[:20]
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    day, _, rest = text.partition("/")
    month, _, year = rest.partition("/")
    if day.isdecimal() and month.isdecimal() and year.isdecimal() and len(year) == 4:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            return None
    return None


def as_fields(intent: Intent) -> dict[str, str]:
    """An intent as the form shows it."""
    return {
        "id": intent.id,
        "topic": intent.topic,
        "title": intent.title,
        "examples": "\n".join(intent.examples),
        "answer": intent.answer,
        "follow_ups": "\n".join(intent.follow_ups),
        "sources": "\n".join(f"{s.title} | {s.url} | {s.date:%Y-%m-%d}" for s in intent.sources),
        "reviewed": f"{intent.reviewed:%Y-%m-%d}",
        "review_by": f"{intent.review_by:%Y-%m-%d}",
    }


def _sources(draft: Draft, text: str) -> list[Source]:
    sources: list[Source] = []
    for number, line in enumerate(_lines(text), start=1):
        parts = _SPLIT.split(line)
        if len(parts) != 3:
            draft.add(
                "sources",
                f"Dòng {number}: cần đủ ba phần «tên nguồn | địa chỉ web | ngày», "
                "cách nhau bằng dấu |.",
            )
            continue
        title, url, when = parts
        day = _date(when)
        if day is None:
            draft.add("sources", f"Dòng {number}: ngày «{when}» chưa đúng dạng ngày/tháng/năm.")
            continue
        try:
            sources.append(Source(title=title, url=url, date=day))
        except ValidationError as error:
            for item in error.errors():
                where = str(item["loc"][0]) if item["loc"] else ""
                if where == "url":
                    draft.add(
                        "sources",
                        f"Dòng {number}: địa chỉ «{url}» phải là địa chỉ web bắt đầu bằng "
                        "http:// hoặc https://.",
                    )
                else:
                    draft.add("sources", f"Dòng {number}: tên nguồn không được để trống.")
    return sources


def read_draft(
    form: Mapping[str, str], known: Mapping[str, Intent], *, fixed_id: str | None = None
) -> Draft:
    """The form's fields read and checked against the schema. `fixed_id`: the intent being
    edited (its id is not taken from the form); None: a new intent, whose id must be free.
    `known`: the intents the content has (follow-ups must name one of them)."""
    values = {name: str(form.get(name, ""))[:MAX_FIELD].replace("\r\n", "\n") for name in FIELDS}
    if fixed_id is not None:
        values["id"] = fixed_id
    values["id"] = values["id"].strip()
    draft = Draft(values)
    if fixed_id is None and values["id"] in known:
        draft.add("id", f"Đã có chủ đề mã «{values['id']}». Anh/chị vui lòng chọn mã khác.")
    follow_ups = _lines(values["follow_ups"])
    for wanted in follow_ups:
        if wanted not in known:
            draft.add("follow_ups", f"Không có chủ đề mã «{wanted}» để gợi ý tiếp.")
    dates: dict[str, date] = {}
    for name in ("reviewed", "review_by"):
        day = _date(values[name])
        if day is None:
            draft.add(name, "Vui lòng nhập ngày theo dạng ngày/tháng/năm.")
        else:
            dates[name] = day
    record: dict[str, Any] = {
        "id": values["id"],
        "topic": values["topic"].strip(),
        "title": values["title"].strip(),
        "examples": list(dict.fromkeys(_lines(values["examples"]))),
        "answer": values["answer"].strip(),
        "follow_ups": follow_ups,
        "sources": _sources(draft, values["sources"]),
        **dates,
    }
    draft.parsed = record
    read_wrong = set(draft.errors)  # fields the form could not read: the schema's word on
    try:  # them would only repeat it ("missing"), so it is left out
        intent = Intent.model_validate(record)
    except ValidationError as error:
        for item in error.errors():
            name, message = _explain(item, record)
            if name not in read_wrong and message not in draft.errors.get(name, []):
                draft.add(name, message)
        return draft
    draft.intent = None if draft.errors else intent
    return draft


def _explain(item: Mapping[str, Any], record: Mapping[str, Any]) -> tuple[str, str]:
    """A schema error as the field it concerns and a Vietnamese sentence."""
    loc = item.get("loc") or ()
    name = str(loc[0]) if loc else ""
    kind = str(item.get("type", ""))
    text = str(item.get("msg", ""))
    if name == "id":
        return name, (
            "Mã chủ đề gồm chữ thường không dấu, số và dấu gạch dưới, các phần nối bằng dấu "
            "chấm (ví dụ: dvc.dang_nhap), không quá dài."
        )
    if name == "topic":
        return name, "Vui lòng chọn một nhóm chủ đề trong danh sách."
    if name == "title":
        if kind == "value_error" and "characters" in text:
            return name, (
                f"Tiêu đề có {len(record['title'])} ký tự; tối đa {MAX_TITLE_CHARS} ký tự "
                "vì tiêu đề hiện trên nút bấm."
            )
        return name, "Tiêu đề không được để trống."
    if name == "examples":
        if kind == "too_short":
            return name, (
                f"Cần ít nhất {MIN_EXAMPLES} câu hỏi mẫu khác nhau (hiện có "
                f"{len(record['examples'])})."
            )
        return name, "Câu hỏi mẫu không được để trống."
    if name == "answer":
        if kind == "value_error" and "characters" in text:
            return name, (
                f"Câu trả lời có {len(record['answer'])} ký tự; tối đa {MAX_ANSWER_CHARS} ký tự."
            )
        return name, "Câu trả lời không được để trống."
    if name == "follow_ups":
        return name, "Chỉ gợi ý tiếp tối đa 3 chủ đề."
    if name == "sources":
        return name, "Cần ít nhất một nguồn thông tin."
    if "oos." in text:
        return "topic", ("Chủ đề ngoài phạm vi phải có mã bắt đầu bằng «oos.», và ngược lại.")
    if "follow_ups" in text:
        return "follow_ups", "Không gợi ý tiếp chính chủ đề này."
    if "review_by" in text:
        return "review_by", "Ngày cần xem lại phải sau ngày đã kiểm tra."
    return name or "answer", "Nội dung chưa hợp lệ, anh/chị vui lòng kiểm tra lại."
