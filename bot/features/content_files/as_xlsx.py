"""The content as an XLSX workbook, and such a workbook read back.

Sheets: "intents" (id, topic, title, answer, follow_ups, reviewed, review_by), "examples"
(intent, example), "sources" (intent, title, url, date); row 1 holds the headers. Text cells
are stored as text, never as formulas, with Excel's quote prefix when they look like one
(bot/features/reports/formula.py): `=1+1` as an example stays the text "=1+1" both ways.
Dates are date cells. follow_ups are ids separated by ", ".

The bytes are deterministic: the same content gives the same file (the workbook's creation
and modification times and the zip entries' times are fixed), so export -> import -> export
gives identical files.

Reading refuses a damaged or zip-bomb workbook before parsing (the field-log reader's checks,
bot/features/fieldlogs/reading.py), a cell holding a formula, and sheets beyond the row limits.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.features.content_files import limits
from bot.features.content_files.records import Draft, Loc, Problem, Refused
from bot.features.fieldlogs.cells import column_letter
from bot.features.fieldlogs.reading import FileProblem, check_xlsx_archive, unreadable_error
from bot.features.reports.formula import looks_like_formula
from content.schema import Intent

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["SHEETS", "read_xlsx", "write_xlsx"]

SHEETS: dict[str, tuple[str, ...]] = {
    "intents": ("id", "topic", "title", "answer", "follow_ups", "reviewed", "review_by"),
    "examples": ("intent", "example"),
    "sources": ("intent", "title", "url", "date"),
}
_FIXED_TIME = datetime(2025, 1, 1)  # noqa: DTZ001  (the workbook's times: never the clock)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_WIDTHS = {"id": 28, "topic": 18, "title": 32, "answer": 80, "follow_ups": 40, "example": 80}
_SPLIT = re.compile(r"[,;\s]+")


def write_xlsx(intents: Sequence[Intent]) -> bytes:
    """The workbook of these intents, byte for byte the same for the same intents."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    rows: dict[str, list[list[object]]] = {
        "intents": [
            [
                i.id,
                i.topic,
                i.title,
                i.answer,
                ", ".join(i.follow_ups),
                i.reviewed,
                i.review_by,
            ]
            for i in intents
        ],
        "examples": [[i.id, example] for i in intents for example in i.examples],
        "sources": [[i.id, s.title, s.url, s.date] for i in intents for s in i.sources],
    }
    sheet: Worksheet | None = workbook.active
    for name, headers in SHEETS.items():
        if sheet is None:
            sheet = workbook.create_sheet(name)
        sheet.title = name
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = bold
        for values in rows[name]:
            sheet.append(values)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    text = cell.value
                    cell.data_type = "s"  # text, never a formula, whatever it starts with
                    cell.quotePrefix = looks_like_formula(text)
                    if "\n" in text:
                        cell.alignment = wrap
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        for index, header in enumerate(headers):
            sheet.column_dimensions[column_letter(index)].width = _WIDTHS.get(header, 14)
        sheet.freeze_panes = "A2"
        sheet = None
    workbook.properties.creator = "trolyso"
    workbook.properties.created = _FIXED_TIME
    workbook.properties.modified = _FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times and the core properties' times fixed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>2025-01-01T00:00:00Z\g<2>",
                    content,
                )
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content)
    return out.getvalue()


# --- reading ----------------------------------------------------------------------------------


def _place(sheet: str, row: int | None, column: int | None = None) -> str:
    parts = [sheet]
    if row is not None:
        parts.append(f"dòng {row}")
    if column is not None:
        parts.append(f"cột {column_letter(column)} ({SHEETS[sheet][column]})")
    return ", ".join(parts)


def _text(value: object) -> str | None:
    """A cell as text; numbers typed as numbers read as the digits shown. None: not text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return None


def _day(value: object) -> object:
    """A date cell, or ISO / dd/mm/yyyy text; anything else is handed on for the schema."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                return text
        return text
    return value


def _rows(sheet: Any, unreadable: str) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of a sheet from row 2, blank rows skipped; a library failure on a
    malformed part is the file's problem, not ours."""
    sheet.reset_dimensions()  # trust the rows, not the size the file claims
    iterator = sheet.iter_rows(min_row=1)
    number = 0
    while True:
        try:
            cells = next(iterator)
        except StopIteration:
            return
        except Exception as error:
            raise Refused(str(unreadable_error(unreadable, error))) from None
        number += 1
        if number == 1:
            yield number, [c.value for c in cells]
            continue
        if all(
            c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells
        ):
            continue
        yield number, list(cells)


class _Reader:
    def __init__(self, workbook: Any, unreadable: str) -> None:
        self.workbook = workbook
        self.unreadable = unreadable
        self.problems: list[Problem] = []

    def sheet(self, name: str, cap: int) -> list[tuple[int, dict[str, Any]]]:
        """The rows of one sheet as {header: value}; formulas and bad headers are problems."""
        headers = SHEETS[name]
        if name not in self.workbook.sheetnames:
            self.problems.append(Problem(name, "thiếu trang tính này"))
            return []
        found: list[tuple[int, dict[str, Any]]] = []
        columns: dict[int, str] = {}
        for number, cells in _rows(self.workbook[name], self.unreadable):
            if number == 1:
                named = self._header(name, cells)
                if named is None:
                    return []
                columns = named
                continue
            if len(found) >= cap:
                raise Refused(
                    f"Trang tính “{name}” có hơn {cap:,} dòng, vượt giới hạn một lần nhập. "
                    "Hãy chia nhỏ tệp.".replace(",", ".")
                )
            values: dict[str, Any] = {}
            for index, cell in enumerate(cells):
                value = cell.value
                header = columns.get(index)
                if header is None:
                    if value is not None and str(value).strip():
                        self.problems.append(
                            Problem(
                                f"{name}, dòng {number}, cột {column_letter(index)}",
                                "ô nằm ngoài các cột đã biết",
                            )
                        )
                    continue
                if getattr(cell, "data_type", "s") == "f":
                    self.problems.append(
                        Problem(
                            _place(name, number, headers.index(header)),
                            "ô chứa công thức; hãy nhập nội dung dưới dạng chữ",
                        )
                    )
                    value = None
                values[header] = value
            found.append((number, values))
        return found

    def _header(self, name: str, cells: list[Any]) -> dict[int, str] | None:
        wanted = SHEETS[name]
        columns: dict[int, str] = {}
        for index, value in enumerate(cells):
            text = str(value).strip().lower() if value is not None else ""
            if not text:
                continue
            if text not in wanted:
                self.problems.append(
                    Problem(
                        f"{name}, dòng 1, cột {column_letter(index)}",
                        f"cột lạ «{text}»; các cột là: {', '.join(wanted)}",
                    )
                )
            elif text in columns.values():
                self.problems.append(
                    Problem(f"{name}, dòng 1, cột {column_letter(index)}", f"cột «{text}» lặp lại")
                )
            else:
                columns[index] = text
        missing = [h for h in wanted if h not in columns.values()]
        if missing:
            self.problems.append(Problem(f"{name}, dòng 1", f"thiếu cột: {', '.join(missing)}"))
            return None
        return columns


def read_xlsx(data: bytes, filename: str) -> tuple[list[Draft], list[Problem]]:
    """The intents of a workbook as drafts, and the problems of its cells."""
    import openpyxl

    unreadable = (
        f"Không đọc được tệp Excel “{filename}”. Hãy mở tệp trong Excel và lưu lại dưới dạng "
        ".xlsx (Google Sheets, LibreOffice: tải về dạng .xlsx)."
    )
    try:
        check_xlsx_archive(data, filename, unreadable)
    except FileProblem as problem:
        text = str(problem)
        raise Refused(text if text == unreadable else text.split(" Hãy")[0]) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except Exception as error:
            raise Refused(str(unreadable_error(unreadable, error))) from None
        try:
            reader = _Reader(workbook, unreadable)
            intent_rows = reader.sheet("intents", limits.MAX_INTENTS)
            example_rows = reader.sheet("examples", limits.MAX_EXAMPLE_ROWS)
            source_rows = reader.sheet("sources", limits.MAX_SOURCE_ROWS)
        finally:
            workbook.close()
    return _drafts(intent_rows, example_rows, source_rows, reader.problems)


def _drafts(
    intent_rows: list[tuple[int, dict[str, Any]]],
    example_rows: list[tuple[int, dict[str, Any]]],
    source_rows: list[tuple[int, dict[str, Any]]],
    problems: list[Problem],
) -> tuple[list[Draft], list[Problem]]:
    drafts: dict[str, Draft] = {}
    lines: dict[str, int] = {}
    for number, values in intent_rows:
        record: dict[str, Any] = {}
        for index, header in enumerate(SHEETS["intents"]):
            value = values.get(header)
            if header in ("reviewed", "review_by"):
                record[header] = _day(value)
                continue
            text = _text(value)
            if text is None:
                problems.append(Problem(_place("intents", number, index), "ô phải là chữ"))
                text = ""
            record[header] = text
        intent_id = record["id"] = record["id"].strip()
        record["follow_ups"] = [f for f in _SPLIT.split(record.pop("follow_ups")) if f]
        if not intent_id:
            problems.append(Problem(_place("intents", number, 0), "thiếu mã chủ đề (id)"))
            continue
        if intent_id in drafts:
            problems.append(
                Problem(
                    _place("intents", number, 0),
                    f"mã trùng, đã có ở dòng {lines[intent_id]}",
                    intent_id,
                )
            )
            continue
        record["examples"], record["sources"] = [], []
        drafts[intent_id] = Draft(record, lambda loc: "")
        lines[intent_id] = number
    example_lines: dict[str, list[int]] = {k: [] for k in drafts}
    for number, values in example_rows:
        owner = _owner(values, "examples", number, drafts, problems)
        if owner is None:
            continue
        text = _text(values.get("example"))
        if text is None:
            problems.append(Problem(_place("examples", number, 1), "ô phải là chữ", owner))
            continue
        drafts[owner].record["examples"].append(text)
        drafts[owner].example_places.setdefault(text.strip(), _place("examples", number, 1))
        example_lines[owner].append(number)
    source_lines: dict[str, list[int]] = {k: [] for k in drafts}
    for number, values in source_rows:
        owner = _owner(values, "sources", number, drafts, problems)
        if owner is None:
            continue
        title, url = _text(values.get("title")), _text(values.get("url"))
        drafts[owner].record["sources"].append(
            {"title": title or "", "url": (url or "").strip(), "date": _day(values.get("date"))}
        )
        source_lines[owner].append(number)
    for intent_id, draft in drafts.items():
        draft.locate = _locator(
            lines[intent_id], example_lines[intent_id], source_lines[intent_id]
        )
    return list(drafts.values()), problems


def _owner(
    values: dict[str, Any],
    sheet: str,
    number: int,
    drafts: dict[str, Draft],
    problems: list[Problem],
) -> str | None:
    owner = (_text(values.get("intent")) or "").strip()
    if owner in drafts:
        return owner
    message = (
        "thiếu mã chủ đề (intent)"
        if not owner
        else f"không có chủ đề «{owner}» ở trang tính intents"
    )
    problems.append(Problem(_place(sheet, number, 0), message))
    return None


def _locator(line: int, examples: list[int], sources: list[int]) -> Any:
    columns = {h: i for i, h in enumerate(SHEETS["intents"])}
    source_columns = {h: i for i, h in enumerate(SHEETS["sources"])}

    def locate(loc: Loc) -> str:
        head = str(loc[0]) if loc else ""
        if head == "examples":
            if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(examples):
                return _place("examples", examples[loc[1]], 1)
            return f"examples, cột B (các câu ví dụ của chủ đề ở intents dòng {line})"
        if head == "sources":
            if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(sources):
                column = source_columns.get(str(loc[2])) if len(loc) > 2 else None
                return _place("sources", sources[loc[1]], column)
            return f"sources (các nguồn của chủ đề ở intents dòng {line})"
        return _place("intents", line, columns.get(head))

    return locate
