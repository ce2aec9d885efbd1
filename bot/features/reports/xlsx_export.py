"""The report as an Excel workbook (`trolyso report --format xlsx`, and /baocao in chat).

A "Tổng quan" sheet (period, filters, generation time, demo rows, headline figures, notes),
then one sheet per breakdown; numbers and dates are real cells, headers bold. Text cells are
always stored as text, never as formulas, with Excel's quote prefix when they look like one
(`formula`). openpyxl is imported when a workbook is made, not when this module is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.features.reports.formula import looks_like_formula
from bot.features.reports.model import Report
from bot.features.reports.sections import Section, sections
from bot.features.reports.wording import NOTES, TITLE, TOTAL, Value, headline, scope, text_width
from storage.report_queries import VIETNAM

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["XLSX_TYPE", "render_xlsx"]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MIN_WIDTH, _MAX_WIDTH = 10, 60

Cell = Value | date | datetime


def _put(sheet: Worksheet, row: int, values: Sequence[Cell]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula, whatever it starts with
            cell.quotePrefix = looks_like_formula(value)
        elif isinstance(value, float):
            cell.number_format = "0.0"
        elif isinstance(value, datetime):
            cell.number_format = "dd/mm/yyyy hh:mm"
        elif isinstance(value, date):
            cell.number_format = "dd/mm/yyyy"


def _fit(sheet: Worksheet, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for column, width in enumerate(widths, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(_MIN_WIDTH, min(_MAX_WIDTH, width + 2))


def _width(value: object) -> int:
    if isinstance(value, float):
        return len(f"{value:.1f}")
    if isinstance(value, (date, datetime)):
        return 16
    return text_width(str(value)) if value is not None else 0


def _overview(sheet: Worksheet, report: Report) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    rows: list[tuple[str, Cell]] = [
        ("Báo cáo", TITLE.capitalize()),
        ("Từ ngày", report.filter.start),
        ("Đến ngày", report.filter.end),
        *scope(report),
        (
            "Lập lúc (giờ Việt Nam)",
            report.generated_at.astimezone(VIETNAM).replace(tzinfo=None, microsecond=0),
        ),
        ("Bản ghi DEMO trong số liệu", report.demo_rows),
        ("  trong đó yêu cầu hỗ trợ", report.demo_requests),
        ("  trong đó nhật ký trực tiếp", report.demo_field_logs),
        *headline(report),
    ]
    _put(sheet, 1, ["Nội dung", "Giá trị"])
    for row, (name, value) in enumerate(rows, start=2):
        _put(sheet, row, [name, value])
    notes_at = len(rows) + 3
    sheet.cell(row=notes_at, column=1, value="Ghi chú").font = bold
    for offset, note in enumerate(NOTES, start=1):
        sheet.cell(row=notes_at + offset, column=1, value=note)
    for cell in sheet[1]:
        cell.font = bold
    _fit(sheet, [max(_width(name) for name, _ in rows), 40])
    for cells in sheet.iter_rows(min_row=2, max_col=2):
        cells[1].alignment = Alignment(horizontal="left")


def _breakdown(sheet: Worksheet, section: Section) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    headers = [section.key_header, *section.value_headers]
    _put(sheet, 1, headers)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = [[name, *values] for _, name, values in section.rows]
    for row, values in enumerate(lines, start=2):
        _put(sheet, row, values)
    if section.total is not None:
        _put(sheet, len(lines) + 2, [TOTAL, *section.total])
        for cell in sheet[len(lines) + 2]:
            cell.font = bold
    columns = zip(headers, *lines, strict=True)
    widths = [max(_width(value) for value in column) for column in columns]
    widths = [min(w, 24) if i else w for i, w in enumerate(widths)]  # headers wrap
    _fit(sheet, widths)
    sheet.freeze_panes = "B2"


def render_xlsx(report: Report) -> bytes:
    """A workbook: "Tổng quan" first, then one sheet per breakdown (bold headers)."""
    from openpyxl import Workbook

    workbook = Workbook()
    overview = workbook.active
    assert overview is not None  # a new workbook always has one sheet
    overview.title = "Tổng quan"
    _overview(overview, report)
    for section in sections(report):
        _breakdown(workbook.create_sheet(section.sheet), section)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
