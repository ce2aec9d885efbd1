"""Importing a content file: read, validate everything, say what changes, publish once.

All or nothing: every problem of the file is collected (its cells or lines, the schema, the
cross-checks: follow-ups and parent ids exist, and the content checks: no example shared by
two intents); with any problem nothing is published. Otherwise the intents that differ from
the content the bot answers with now are published as ONE version through the publish gate
(bot/features/content_versions/publish.py), each as a whole-intent record of the overlay.

A file may hold every intent (an export) or only some: intents it leaves out stay as they
are. An imported intent is the whole truth for its id: the learning loop's extra examples
kept for it are folded into the record (an export shows them), so they are dropped from the
overlay's extras, and an example removed in the file is really removed.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.content_files import limits
from bot.features.content_files.as_xlsx import read_xlsx
from bot.features.content_files.as_yaml import read_yaml
from bot.features.content_files.records import Draft, Problem, Refused
from bot.features.content_versions.publish import Outcome, publish
from bot.published import LiveContent
from content import Content
from content.checks import find_collisions
from content.loader import cross_check
from content.published import Overlay
from content.schema import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, MIN_EXAMPLES, Intent
from storage.models import PersonRow

__all__ = ["Plan", "plan_import", "publish_plan", "read_file"]

_XLSX_MAGIC = b"PK\x03\x04"
_COLLIDES = re.compile(r"^example (.+) collides with an example of '([^']+)'$")


@dataclass(frozen=True)
class Plan:
    """What a file would change, or why it cannot be imported."""

    filename: str
    problems: list[Problem] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)  # every valid intent, in file order
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.intents)

    @property
    def touched(self) -> list[str]:
        return [*self.added, *self.changed]

    def summary(self) -> list[str]:
        """The plan in Vietnamese lines (the CLI prints them; the console shows the same)."""
        if self.problems:
            return [
                f"Tệp “{self.filename}” có {len(self.problems)} lỗi; chưa xuất bản gì:",
                *(f"  {problem}" for problem in self.problems),
            ]
        lines = [
            f"Tệp “{self.filename}”: {len(self.intents)} chủ đề hợp lệ — "
            f"{len(self.added)} thêm mới, {len(self.changed)} thay đổi, "
            f"{len(self.unchanged)} giữ nguyên."
        ]
        lines.extend(f"  + {intent_id}" for intent_id in self.added)
        lines.extend(f"  ~ {intent_id}" for intent_id in self.changed)
        return lines


def read_file(data: bytes, filename: str) -> tuple[list[Draft], list[Problem]]:
    """The drafts of an XLSX or YAML file; `Refused` for a file that cannot be read at all."""
    if not data:
        raise Refused("Tệp trống.")
    if len(data) > limits.MAX_FILE:
        raise Refused(
            f"Tệp “{filename}” nặng {len(data) / 1024 / 1024:.1f} MB, quá giới hạn "
            f"{limits.MAX_FILE // 1024 // 1024} MB của một lần nhập. Hãy chia nhỏ tệp."
        )
    if data.startswith(_XLSX_MAGIC):
        return read_xlsx(data, filename)
    if b"\x00" in data[:4096] or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Refused(
            f"Tệp “{filename}” không phải tệp nội dung YAML hay Excel (.xlsx). Hãy dùng tệp "
            "xuất ra từ trang này hoặc lệnh `trolyso content export`."
        )
    drafts, problems = read_yaml(data, filename)
    if len(drafts) > limits.MAX_INTENTS:
        raise Refused(f"Tệp có hơn {limits.MAX_INTENTS} chủ đề, vượt giới hạn một lần nhập.")
    return drafts, problems


def plan_import(data: bytes, filename: str, current: Content) -> Plan:
    """Read and validate a file against the content the bot answers with now."""
    drafts, problems = read_file(data, filename)
    valid: dict[str, tuple[Intent, Draft]] = {}
    for draft in drafts:
        intent_id = str(draft.record.get("id", "")).strip() or None
        try:
            intent = Intent.model_validate(draft.record)
        except ValidationError as error:
            problems.extend(
                Problem(draft.locate(tuple(item["loc"])), _vietnamese(item), intent_id)
                for item in error.errors()
            )
            continue
        if intent.id in valid:
            problems.append(Problem(draft.locate(("id",)), "mã trùng trong tệp", intent.id))
            continue
        valid[intent.id] = (intent, draft)
    if not drafts and not problems:
        problems.append(Problem(filename, "tệp không có chủ đề nào"))
    candidate = dict(current.intents)
    candidate.update((intent_id, intent) for intent_id, (intent, _) in valid.items())
    problems.extend(_cross_problems(candidate, valid))
    if not problems:
        problems.extend(_collisions(dataclasses.replace(current, intents=candidate), valid))
    if problems:
        return Plan(filename, problems)
    plan = Plan(filename, intents=[intent for intent, _ in valid.values()])
    for intent in plan.intents:
        before = current.intents.get(intent.id)
        kind = (
            plan.added if before is None else plan.unchanged if before == intent else plan.changed
        )
        kind.append(intent.id)
    return plan


def _cross_problems(
    candidate: Mapping[str, Intent], valid: Mapping[str, tuple[Intent, Draft]]
) -> Iterable[Problem]:
    for problem in cross_check(candidate, dict.fromkeys(candidate, "")):
        entry = valid.get(problem.intent or "")
        if entry is None:
            continue  # an intent the file does not touch: the content it has now
        message = problem.message
        unknown = re.match(r"unknown intent '([^']+)'", message)
        if unknown:
            message = f"không có chủ đề «{unknown.group(1)}»"
        elif "narrower id" in message:
            parent = problem.intent.rsplit(".", 1)[0] if problem.intent else ""
            message = f"mã con phải nối dài một mã đã có; chưa có chủ đề «{parent}»"
        yield Problem(entry[1].locate((problem.field or "id",)), message, problem.intent)


def _collisions(content: Content, valid: Mapping[str, tuple[Intent, Draft]]) -> Iterable[Problem]:
    for problem in find_collisions(content):
        if problem.severity != "error" or problem.intent is None:
            continue
        match = _COLLIDES.match(problem.message)
        owner = valid.get(problem.intent)
        other = match.group(2) if match else ""
        if owner is None and other in valid:
            owner = valid[other]
        if owner is None:
            continue
        example = ""
        if match:
            try:
                example = str(ast.literal_eval(match.group(1)))
            except (ValueError, SyntaxError):
                example = ""
        place = owner[1].example_places.get(example) or owner[1].locate(("examples",))
        if match:
            message = (
                f"câu ví dụ «{example}» trùng (sau khi chuẩn hóa) với một câu ví dụ của "
                f"«{other}»; mỗi câu chỉ thuộc một chủ đề"
            )
        else:
            message = f"câu ví dụ không còn chữ nào sau khi chuẩn hóa: {problem.message}"
        yield Problem(place, message, problem.intent)


_MESSAGES = {
    "missing": "thiếu (bắt buộc)",
    "extra_forbidden": "trường lạ (kiểm tra chính tả)",
    "string_type": "phải là chữ",
    "list_type": "phải là một danh sách",
    "date_type": "phải là ngày (YYYY-MM-DD)",
    "date_parsing": "không phải ngày hợp lệ (YYYY-MM-DD)",
    "date_from_datetime_parsing": "không phải ngày hợp lệ (YYYY-MM-DD)",
    "date_from_datetime_inexact": "chỉ ghi ngày, không ghi giờ",
    "literal_error": "không phải nhóm chủ đề đã biết",
}
_VALUE_ERRORS = (
    ("must not be empty", "không được để trống"),
    ("not an http(s) URL", "không phải địa chỉ http(s)"),
    ("is not a valid id", "mã không hợp lệ: dùng chữ thường nối bằng dấu chấm (vd. dvc.login)"),
    ("too long for a button payload", "mã quá dài để làm nút bấm"),
    ("a button title has at most", f"tiêu đề quá dài; tối đa {MAX_TITLE_CHARS} ký tự"),
    ("an answer has at most", f"câu trả lời quá dài; tối đa {MAX_ANSWER_CHARS} ký tự"),
    ("go together", "mã bắt đầu bằng 'oos.' đi cùng nhóm out_of_scope (và ngược lại)"),
    ("must not contain the intent itself", "follow_ups không được chứa chính chủ đề này"),
    ("review_by must come after reviewed", "review_by phải sau ngày reviewed"),
)


def _vietnamese(item: Mapping[str, Any]) -> str:
    """A pydantic error as an operator reads it."""
    kind, message = str(item["type"]), str(item["msg"])
    loc = tuple(item["loc"])
    if kind == "too_short" and loc[:1] == ("examples",):
        return f"cần ít nhất {MIN_EXAMPLES} câu ví dụ"
    if kind == "too_short" and loc[:1] == ("sources",):
        return "cần ít nhất một nguồn"
    if kind == "too_long" and loc[:1] == ("follow_ups",):
        return "tối đa 3 chủ đề gợi ý tiếp"
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    for english, vietnamese in _VALUE_ERRORS:
        if english in message:
            length = re.match(r"Value error, (\d+) characters", message)
            return f"{vietnamese} (hiện {length.group(1)} ký tự)" if length else vietnamese
    return message.removeprefix("Value error, ")


def overlay_of(plan: Plan, current: Overlay) -> Overlay:
    """The current overlay with the plan's new and changed intents as whole records."""
    touched = set(plan.touched)
    records = dict(current.intents)
    for intent in plan.intents:
        if intent.id in touched:
            records[intent.id] = intent.model_dump(mode="json")
    examples = {k: v for k, v in current.examples.items() if k not in touched}
    return Overlay(current.version, examples, records)


async def publish_plan(
    session: AsyncSession,
    live: LiveContent,
    person: PersonRow,
    now: datetime,
    plan: Plan,
    current: Overlay,
    *,
    forced: str = "",
    eval_set: Path | None = None,
) -> Outcome:
    """Publish the plan's changes as one version (nothing is committed here)."""
    return await publish(
        session,
        live,
        person,
        now,
        overlay_of(plan, current),
        action="import",
        reason=f"Nhập từ tệp {plan.filename}"[:200],
        changed=plan.touched,
        forced=forced,
        eval_set=eval_set,
        base=current.version,
    )
