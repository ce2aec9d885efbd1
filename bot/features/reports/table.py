"""The report as aligned plain text for a terminal (`trolyso report --format table`).

Columns are aligned by the width a terminal gives each letter (Vietnamese combining marks take
none), numbers right-aligned in Vietnamese style (100.000; 7,5).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.features.reports.model import Report
from bot.features.reports.sections import sections
from bot.features.reports.wording import (
    NOTES,
    TITLE,
    TOTAL,
    Value,
    demo_text,
    float_vn,
    generated_text,
    headline,
    int_vn,
    period_text,
    scope,
    text_width,
)

__all__ = ["render_table"]


def _cell(value: Value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return int_vn(value)
    if isinstance(value, float):
        return float_vn(value)
    return value


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - text_width(text))
    return space + text if right else text + space


def _grid(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    widths = [max(text_width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            _pad(cell, widths[i], right=i >= numeric_from) for i, cell in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def render_table(report: Report) -> str:
    """The report as aligned text for a terminal (ends with a newline)."""
    head = [
        ("Kỳ báo cáo", period_text(report)),
        *scope(report),
        ("Lập lúc", generated_text(report)),
        ("Dữ liệu", demo_text(report)),
    ]
    label_width = max(text_width(name) for name, _ in head)
    parts = [TITLE, "=" * text_width(TITLE)]
    parts += [f"{_pad(name, label_width, right=False)} : {value}" for name, value in head]
    parts += [
        "",
        "TỔNG QUAN",
        _grid(["Chỉ tiêu", "Giá trị"], [[k, _cell(v)] for k, v in headline(report)]),
    ]
    for section in sections(report):
        rows = [[name, *(_cell(v) for v in values)] for _, name, values in section.rows]
        if section.total is not None:
            rows.append([TOTAL, *(_cell(v) for v in section.total)])
        if not rows:
            rows = [["(không có)", *("" for _ in section.value_headers)]]
        headers = [section.key_header, *section.value_headers]
        parts += ["", section.title.upper(), _grid(headers, rows)]
    parts += ["", "Ghi chú:", *(f"- {note}" for note in NOTES)]
    return "\n".join(parts) + "\n"
