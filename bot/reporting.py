"""Render a volunteer-activity report: terminal table, CSV, XLSX, PNG charts.

Pure functions of a `storage.reports.Report`: no database, no network. Everything a commune
officer reads is Vietnamese, with labels from `storage.vocabulary`; a report holds no contact
data, so neither does anything rendered here.

Formats:
- `render_table`: aligned plain text for a terminal, Vietnamese number style (100.000; 7,5).
- `render_csv`: one "long" CSV table, the same five columns on every line (Phần, Mã, Mục,
  Chỉ số, Giá trị), so a spreadsheet opens it as one clean table that filters and pivots.
  RFC 4180: comma separated, CRLF line ends, decimal point "."; the text starts with a UTF-8
  byte-order mark (U+FEFF), which Excel needs to read Vietnamese letters in a CSV as UTF-8.
  Excel splits a double-clicked CSV on the Windows list separator, which is ";" where the
  decimal symbol is "," (as in Vietnamese regional settings): officers should use the XLSX
  there; the CSV is for Google Sheets, LibreOffice, Excel's import wizard and programs.
- `render_xlsx`: a "Tổng quan" sheet (period, filters, generation time, demo rows, headline
  figures, notes), then one sheet per breakdown; numbers and dates are real cells.
- `render_png`: four bar charts on one figure (matplotlib's Agg canvas, imported lazily;
  DejaVu Sans, shipped with matplotlib, has every Vietnamese letter).
"""

from __future__ import annotations

import csv
import io
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from storage.reports import VIETNAM, Durations, Report
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, SERVICES, TOPICS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "Section",
    "render_csv",
    "render_png",
    "render_table",
    "render_xlsx",
    "safe_text",
    "sections",
]

Value = int | float | str | None

TITLE = "BÁO CÁO HOẠT ĐỘNG HỖ TRỢ CHUYỂN ĐỔI SỐ CỦA TÌNH NGUYỆN VIÊN"
TOTAL = "Tổng cộng"
NO_NAME = "(không ghi tên)"
NO_OUTCOME = "Chưa ghi kết quả"
ALL = "Tất cả"
NOTES = (
    "Ngày tính theo giờ Việt Nam (UTC+7); yêu cầu tính theo ngày tạo, "
    "nhật ký trực tiếp theo ngày hỗ trợ.",
    "Thời gian chờ: từ lúc người dân gửi yêu cầu đến lúc tình nguyện viên đầu tiên nhận. "
    "Thời gian hỗ trợ: từ lúc nhận đến lúc kết thúc phiên.",
    "Trung vị: một nửa số phiên không quá giá trị này. "
    "P90: 90% số phiên không quá giá trị này (nội suy tuyến tính).",
)


@dataclass(frozen=True)
class Section:
    """One breakdown, in the shape every format shares: a key column and value columns."""

    sheet: str  # an XLSX sheet name: at most 31 characters
    title: str
    key_header: str
    value_headers: tuple[str, ...]
    rows: tuple[tuple[str | None, str, tuple[Value, ...]], ...]  # (code, label, values)
    total: tuple[Value, ...] | None = None  # a "Tổng cộng" line, if it means something


# --- Shared wording ----------------------------------------------------------------------


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _period(report: Report) -> str:
    return f"{_day(report.filter.start)} – {_day(report.filter.end)}"


def _generated(report: Report) -> str:
    return report.generated_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam)"


def _named(name: str | None, code: str, word: str) -> str:
    return f"{name} ({word} {code})" if name else f"{word} {code}"


def _scope(report: Report) -> list[tuple[str, str]]:
    f = report.filter
    province = (
        ALL if f.province_code is None else _named(report.province_name, f.province_code, "mã")
    )
    commune = ALL if f.commune_code is None else _named(report.commune_name, f.commune_code, "mã")
    team = ALL if f.team_id is None else _named(report.team_name, str(f.team_id), "số")
    return [("Tỉnh/thành phố", province), ("Xã/phường/đặc khu", commune), ("Tổ", team)]


def _scope_text(report: Report) -> str:
    parts = [f"{label}: {value}" for label, value in _scope(report) if value != ALL]
    return "; ".join(parts) if parts else "Phạm vi: tất cả"


def _demo(report: Report) -> str:
    if not report.demo_rows:
        return "không có bản ghi DEMO"
    return (
        f"gồm {_int_vn(report.demo_rows)} bản ghi DEMO "
        f"({_int_vn(report.demo_requests)} yêu cầu hỗ trợ, "
        f"{_int_vn(report.demo_field_logs)} nhật ký hỗ trợ trực tiếp)"
    )


def _label(vocabulary: Mapping[str, str], code: str) -> str:
    return vocabulary.get(code, code)


def _headline(report: Report) -> list[tuple[str, Value]]:
    return [
        ("Tổng số yêu cầu hỗ trợ", report.requests_total),
        ("Người dân được hỗ trợ qua tin nhắn", report.citizens.chat),
        ("Người dân được hỗ trợ trực tiếp", report.citizens.field),
        ("Tổng số người dân được hỗ trợ", report.citizens.total),
        ("Số nhật ký hỗ trợ trực tiếp", report.field_logs_total),
        ("Thời gian chờ nhận, trung vị (phút)", report.wait.median_minutes),
        ("Thời gian hỗ trợ, trung vị (phút)", report.handling.median_minutes),
        ("Số lượt đánh giá", report.ratings.count),
        ("Điểm đánh giá trung bình (1–5 sao)", report.ratings.mean),
    ]


def _counts(
    rows: Sequence[tuple[str, int]], vocabulary: Mapping[str, str]
) -> tuple[tuple[str | None, str, tuple[Value, ...]], ...]:
    return tuple((code, _label(vocabulary, code), (n,)) for code, n in rows)


def _duration(label: str, code: str, d: Durations) -> tuple[str | None, str, tuple[Value, ...]]:
    return (code, label, (d.count, d.median_minutes, d.p90_minutes))


def sections(report: Report) -> list[Section]:
    """Every breakdown of the report, labelled in Vietnamese, in reading order."""
    outcome_rows = _counts(report.by_outcome, OUTCOMES)
    outcomes_total = sum(n for _, n in report.by_outcome) + report.closed_without_outcome
    return [
        Section(
            "Trạng thái",
            "Yêu cầu hỗ trợ theo trạng thái",
            "Trạng thái",
            ("Số yêu cầu",),
            _counts(report.by_status, REQUEST_STATUSES),
            (report.requests_total,),
        ),
        Section(
            "Chủ đề",
            "Yêu cầu hỗ trợ theo chủ đề",
            "Chủ đề",
            ("Số yêu cầu",),
            _counts(report.by_topic, TOPICS),
            (report.requests_total,),
        ),
        Section(
            "Kết quả",
            "Kết quả các phiên hỗ trợ đã kết thúc",
            "Kết quả",
            ("Số phiên",),
            (*outcome_rows, (None, NO_OUTCOME, (report.closed_without_outcome,))),
            (outcomes_total,),
        ),
        Section(
            "Người dân được hỗ trợ",
            "Người dân được hỗ trợ",
            "Hình thức",
            ("Số người dân",),
            (
                ("chat", "Qua tin nhắn (phiên đã có người nhận)", (report.citizens.chat,)),
                ("field", "Trực tiếp (theo nhật ký)", (report.citizens.field,)),
            ),
            (report.citizens.total,),
        ),
        Section(
            "Dịch vụ",
            "Dịch vụ đã hỗ trợ",
            "Dịch vụ",
            ("Số phiên qua tin nhắn", "Số nhật ký trực tiếp"),
            tuple(
                (s.code, _label(SERVICES, s.code), (s.chat_sessions, s.field_logs))
                for s in report.services
            ),
        ),
        Section(
            "Thời gian",
            "Thời gian chờ và thời gian hỗ trợ (phút)",
            "Chỉ số",
            ("Số phiên", "Trung vị (phút)", "P90 (phút)"),
            (
                _duration("Chờ tình nguyện viên nhận", "wait", report.wait),
                _duration("Thời gian hỗ trợ", "handling", report.handling),
            ),
        ),
        Section(
            "Đánh giá",
            "Đánh giá của người dân",
            "Mức đánh giá",
            ("Số lượt",),
            (
                *((str(s), f"{s} sao", (n,)) for s, n in report.ratings.distribution),
                ("mean", "Điểm trung bình", (report.ratings.mean,)),
            ),
        ),
        Section(
            "Tình nguyện viên",
            "Hoạt động của từng tình nguyện viên",
            "Tình nguyện viên",
            (
                "Phiên đã nhận",
                "Phiên đã kết thúc",
                "Nhật ký trực tiếp",
                "Người dân được hỗ trợ trực tiếp",
            ),
            tuple(
                (
                    None,
                    v.name or NO_NAME,
                    (v.sessions_claimed, v.sessions_closed, v.field_logs, v.field_citizens),
                )
                for v in report.volunteers
            ),
        ),
    ]


# --- Terminal table ------------------------------------------------------------------------


def _int_vn(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _float_vn(x: float) -> str:
    return f"{x:,.1f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def _cell(value: Value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return _int_vn(value)
    if isinstance(value, float):
        return _float_vn(value)
    return value


def _width(text: str) -> int:
    """Columns a string takes on a terminal (combining marks take none)."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def _grid(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    widths = [max(_width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            _pad(cell, widths[i], right=i >= numeric_from) for i, cell in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def render_table(report: Report) -> str:
    """The report as aligned text for a terminal (ends with a newline)."""
    head = [
        ("Kỳ báo cáo", _period(report)),
        *_scope(report),
        ("Lập lúc", _generated(report)),
        ("Dữ liệu", _demo(report)),
    ]
    label_width = max(_width(label) for label, _ in head)
    parts = [TITLE, "=" * _width(TITLE)]
    parts += [f"{_pad(label, label_width, right=False)} : {value}" for label, value in head]
    parts += [
        "",
        "TỔNG QUAN",
        _grid(["Chỉ tiêu", "Giá trị"], [[k, _cell(v)] for k, v in _headline(report)]),
    ]
    for section in sections(report):
        rows = [[label, *(_cell(v) for v in values)] for _, label, values in section.rows]
        if section.total is not None:
            rows.append([TOTAL, *(_cell(v) for v in section.total)])
        if not rows:
            rows = [["(không có)", *("" for _ in section.value_headers)]]
        headers = [section.key_header, *section.value_headers]
        parts += ["", section.title.upper(), _grid(headers, rows)]
    parts += ["", "Ghi chú:", *(f"- {note}" for note in NOTES)]
    return "\n".join(parts) + "\n"


# --- CSV -----------------------------------------------------------------------------------

CSV_HEADERS = ("Phần", "Mã", "Mục", "Chỉ số", "Giá trị")
BOM = "\ufeff"
# A text cell starting with one of these is read as a formula by spreadsheet programs
# (OWASP "CSV injection"): a volunteer named '=HYPERLINK("http://x","click")' must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_text(text: str) -> str:
    """Text that no spreadsheet reads as a formula: OWASP's leading single quote when needed."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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


def render_csv(report: Report) -> str:
    """One long table (see the module docstring), starting with a UTF-8 byte-order mark.

    Write it with `newline=""` and UTF-8: lines already end with CRLF.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_csv_row(CSV_HEADERS))
    overview = "Tổng quan"
    writer.writerow(
        _csv_row([overview, "", "Kỳ báo cáo", "Từ ngày", report.filter.start.isoformat()])
    )
    writer.writerow(
        _csv_row([overview, "", "Kỳ báo cáo", "Đến ngày", report.filter.end.isoformat()])
    )
    for label, place in _scope(report):
        writer.writerow(_csv_row([overview, "", "Phạm vi", label, place]))
    writer.writerow(_csv_row([overview, "", "Lập lúc", "", _generated(report)]))
    writer.writerow(
        _csv_row([overview, "", "Bản ghi DEMO", "Yêu cầu hỗ trợ", report.demo_requests])
    )
    writer.writerow(
        _csv_row([overview, "", "Bản ghi DEMO", "Nhật ký trực tiếp", report.demo_field_logs])
    )
    for label, figure in _headline(report):
        writer.writerow(_csv_row([overview, "", label, "", figure]))
    for section in sections(report):
        for code, label, values in section.rows:
            for header, value in zip(section.value_headers, values, strict=True):
                writer.writerow(_csv_row([section.title, code or "", label, header, value]))
        if section.total is not None:
            for header, value in zip(section.value_headers, section.total, strict=True):
                writer.writerow(_csv_row([section.title, "total", TOTAL, header, value]))
    return BOM + buffer.getvalue()


# --- XLSX ----------------------------------------------------------------------------------

_MIN_WIDTH, _MAX_WIDTH = 10, 60


def render_xlsx(report: Report) -> bytes:
    """A workbook: "Tổng quan" first, then one sheet per breakdown (bold headers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    bold = Font(bold=True)

    def put(sheet: Worksheet, row: int, values: Sequence[Value | date | datetime]) -> None:
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
                cell.quotePrefix = value.startswith(FORMULA_STARTS)
            elif isinstance(value, float):
                cell.number_format = "0.0"
            elif isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"

    def fit(sheet: Worksheet, widths: Sequence[int]) -> None:
        for column, width in enumerate(widths, start=1):
            letter = get_column_letter(column)
            sheet.column_dimensions[letter].width = max(_MIN_WIDTH, min(_MAX_WIDTH, width + 2))

    def text_width(value: object) -> int:
        if isinstance(value, float):
            return len(f"{value:.1f}")
        if isinstance(value, (date, datetime)):
            return 16
        return _width(str(value)) if value is not None else 0

    workbook = Workbook()
    overview = workbook.active
    assert overview is not None  # a new workbook always has one sheet
    overview.title = "Tổng quan"
    overview_rows: list[tuple[str, Value | date | datetime]] = [
        ("Báo cáo", TITLE.capitalize()),
        ("Từ ngày", report.filter.start),
        ("Đến ngày", report.filter.end),
        *_scope(report),
        (
            "Lập lúc (giờ Việt Nam)",
            report.generated_at.astimezone(VIETNAM).replace(tzinfo=None, microsecond=0),
        ),
        ("Bản ghi DEMO trong số liệu", report.demo_rows),
        ("  trong đó yêu cầu hỗ trợ", report.demo_requests),
        ("  trong đó nhật ký trực tiếp", report.demo_field_logs),
        *_headline(report),
    ]
    put(overview, 1, ["Nội dung", "Giá trị"])
    for row, (label, value) in enumerate(overview_rows, start=2):
        put(overview, row, [label, value])
    notes_at = len(overview_rows) + 3
    overview.cell(row=notes_at, column=1, value="Ghi chú").font = bold
    for offset, note in enumerate(NOTES, start=1):
        overview.cell(row=notes_at + offset, column=1, value=note)
    for cell in overview[1]:
        cell.font = bold
    fit(overview, [max(text_width(label) for label, _ in overview_rows), 40])
    for cells in overview.iter_rows(min_row=2, max_col=2):
        cells[1].alignment = Alignment(horizontal="left")

    for section in sections(report):
        sheet = workbook.create_sheet(section.sheet)
        headers = [section.key_header, *section.value_headers]
        put(sheet, 1, headers)
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines = [[label, *values] for _, label, values in section.rows]
        for row, values in enumerate(lines, start=2):
            put(sheet, row, values)
        if section.total is not None:
            put(sheet, len(lines) + 2, [TOTAL, *section.total])
            for cell in sheet[len(lines) + 2]:
                cell.font = bold
        widths = [
            max(text_width(value) for value in column)
            for column in zip(headers, *lines, strict=True)
        ]
        widths = [min(w, 24) if i else w for i, w in enumerate(widths)]  # headers wrap
        fit(sheet, widths)
        sheet.freeze_panes = "B2"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PNG -----------------------------------------------------------------------------------


def _wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _bars(axes: Axes, title: str, rows: Sequence[tuple[str, int]], color: str) -> None:
    from matplotlib.ticker import MaxNLocator

    labels = [_wrap(label) for label, _ in rows][::-1]
    values = [n for _, n in rows][::-1]
    bars = axes.barh(labels, values, color=color)
    axes.bar_label(bars, labels=[_int_vn(v) for v in values], padding=3, fontsize=9)
    axes.set_title(title, fontsize=12, fontweight="bold", loc="left")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.tick_params(axis="y", labelsize=9)
    axes.spines[["top", "right"]].set_visible(False)


def render_png(report: Report) -> bytes:
    """Four small bar charts: requests by status and by topic, outcomes, citizens helped."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    statuses = [(_label(REQUEST_STATUSES, c), n) for c, n in report.by_status]
    topics = [(_label(TOPICS, c), n) for c, n in report.by_topic]
    outcomes = [(_label(OUTCOMES, c), n) for c, n in report.by_outcome]
    outcomes.append((NO_OUTCOME, report.closed_without_outcome))
    citizens = [("Qua tin nhắn", report.citizens.chat), ("Trực tiếp", report.citizens.field)]

    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        figure = Figure(figsize=(13, 8.5), dpi=110, layout="constrained")
        FigureCanvasAgg(figure)
        scope = _scope_text(report)
        heading = f"Hoạt động hỗ trợ chuyển đổi số · {_period(report)}"
        details = textwrap.fill(f"{scope} · Dữ liệu {_demo(report)}", 150)
        figure.suptitle(f"{heading}\n{details}", fontsize=13)
        grid = figure.subplots(2, 2)
        _bars(grid[0][0], "Yêu cầu hỗ trợ theo trạng thái", statuses, "#4C72B0")
        _bars(grid[0][1], "Yêu cầu hỗ trợ theo chủ đề", topics, "#55A868")
        _bars(grid[1][0], "Kết quả các phiên đã kết thúc", outcomes, "#C44E52")
        _bars(
            grid[1][1],
            f"Người dân được hỗ trợ: {_int_vn(report.citizens.total)}",
            citizens,
            "#8172B2",
        )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
