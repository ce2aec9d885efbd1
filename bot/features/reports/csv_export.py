"""The report as one "long" CSV table (`trolyso report --format csv`).

The same five columns on every line (Phần, Mã, Mục, Chỉ số, Giá trị), so a spreadsheet opens
it as one clean table that filters and pivots. RFC 4180: comma separated, CRLF line ends,
decimal point "."; the text starts with a UTF-8 byte-order mark (U+FEFF), which Excel needs to
read Vietnamese letters in a CSV as UTF-8. Excel splits a double-clicked CSV on the Windows
list separator, which is ";" where the decimal symbol is "," (as in Vietnamese regional
settings): officers should use the XLSX there; the CSV is for Google Sheets, LibreOffice,
Excel's import wizard and programs. Every text cell goes through `formula.safe_text`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.features.reports.formula import safe_text
from bot.features.reports.model import Report
from bot.features.reports.sections import sections
from bot.features.reports.wording import TOTAL, Value, generated_text, headline, scope

__all__ = ["BOM", "CSV_HEADERS", "render_csv"]

CSV_HEADERS = ("Phần", "Mã", "Mục", "Chỉ số", "Giá trị")
BOM = "\ufeff"
OVERVIEW = "Tổng quan"


def _csv_value(value: Value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, str):
        return safe_text(value)
    return value


def _csv_row(values: Sequence[Value]) -> list[str | int | float]:
    """Every text cell neutralised, numbers left as numbers."""
    return [_csv_value(value) for value in values]


def _overview_rows(report: Report) -> list[list[Value]]:
    rows: list[list[Value]] = [
        [OVERVIEW, "", "Kỳ báo cáo", "Từ ngày", report.filter.start.isoformat()],
        [OVERVIEW, "", "Kỳ báo cáo", "Đến ngày", report.filter.end.isoformat()],
    ]
    rows += [[OVERVIEW, "", "Phạm vi", name, place] for name, place in scope(report)]
    rows += [
        [OVERVIEW, "", "Lập lúc", "", generated_text(report)],
        [OVERVIEW, "", "Bản ghi DEMO", "Yêu cầu hỗ trợ", report.demo_requests],
        [OVERVIEW, "", "Bản ghi DEMO", "Nhật ký trực tiếp", report.demo_field_logs],
    ]
    rows += [[OVERVIEW, "", name, "", figure] for name, figure in headline(report)]
    return rows


def _section_rows(report: Report) -> list[list[Value]]:
    rows: list[list[Value]] = []
    for section in sections(report):
        for code, name, values in section.rows:
            for header, value in zip(section.value_headers, values, strict=True):
                rows.append([section.title, code or "", name, header, value])
        if section.total is not None:
            for header, value in zip(section.value_headers, section.total, strict=True):
                rows.append([section.title, "total", TOTAL, header, value])
    return rows


def render_csv(report: Report) -> str:
    """One long table (see the module docstring), starting with a UTF-8 byte-order mark.

    Write it with `newline=""` and UTF-8: lines already end with CRLF.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_csv_row(CSV_HEADERS))
    for row in [*_overview_rows(report), *_section_rows(report)]:
        writer.writerow(_csv_row(row))
    return BOM + buffer.getvalue()
