"""Report renderers: table, CSV, XLSX, PNG; no contact data and no formula in any of them."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features.reports.build import build_report
from bot.features.reports.charts import render_png
from bot.features.reports.csv_export import render_csv
from bot.features.reports.model import (
    CitizensHelped,
    Ratings,
    Report,
    ServiceCount,
    VolunteerStats,
)
from bot.features.reports.table import render_table
from bot.features.reports.xlsx_export import render_xlsx
from storage import session_factory
from storage.report_durations import Durations
from storage.report_queries import VIETNAM, ReportFilter
from tests.conftest import charts_installed
from tests.features.reports.test_figures import JUNE, NOW

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SECRETS = ("0912345678", "9988776655", "5550001", "0987654321", "0909123456")


def sample() -> Report:
    return Report(
        filter=ReportFilter(date(2025, 6, 1), date(2025, 6, 30), "01", "00004", 3),
        generated_at=datetime(2025, 6, 27, 7, 5, tzinfo=UTC),
        team_name="Tổ công nghệ số cộng đồng xã Tân Phú",
        requests_total=1200,
        demo_requests=3,
        demo_field_logs=2,
        by_status=(
            ("open", 10),
            ("active", 5),
            ("closed", 1100),
            ("cancelled", 35),
            ("unclaimed", 50),
        ),
        by_topic=(("vneid", 700), ("public_services", 300), ("other", 200)),
        by_outcome=(("resolved", 900), ("partly", 100), ("unresolved", 40), ("referred", 20)),
        closed_without_outcome=40,
        citizens=CitizensHelped(chat=1145, field=320),
        field_logs_total=14,
        services=(ServiceCount("vneid_activation", 600, 9), ServiceCount("scam_advice", 0, 4)),
        wait=Durations(1145, 7.25, 42.5),
        handling=Durations(1100, 18.0, 55.56),
        ratings=Ratings(10, 4.3, ((1, 0), (2, 1), (3, 1), (4, 2), (5, 6))),
        volunteers=(
            VolunteerStats("Nguyễn Thị Lan", 600, 590, 10, 250),
            VolunteerStats(None, 0, 0, 4, 70),
        ),
        province_name="Hà Nội",
        commune_name="Xã Tân Phú, Hà Nội",
    )


# --- Renderers -----------------------------------------------------------------------------


def test_table_is_vietnamese_and_aligned() -> None:
    text = render_table(sample())
    for expected in (
        "Kỳ báo cáo",
        "01/06/2025 – 30/06/2025",
        "Hà Nội (mã 01)",
        "Xã Tân Phú, Hà Nội (mã 00004)",  # names as the command fills them in
        "Tổ công nghệ số cộng đồng xã Tân Phú (số 3)",
        "27/06/2025 14:05 (giờ Việt Nam)",  # 07:05 UTC
        "gồm 5 bản ghi DEMO (3 yêu cầu hỗ trợ, 2 nhật ký hỗ trợ trực tiếp)",
        "Trạng thái",
        "Số yêu cầu",
        "Đã kết thúc",
        "Trung vị (phút)",
        "P90 (phút)",
        "Tình nguyện viên",
        "Nguyễn Thị Lan",
        "(không ghi tên)",
    ):
        assert expected in text, expected
    lines = text.splitlines()
    closed = next(line for line in lines if line.startswith("Đã kết thúc "))
    total = next(line for line in lines if line.startswith("Tổng cộng") and "1.200" in line)
    assert closed.endswith("1.100")  # Vietnamese thousands separator
    assert len(closed) == len(total)  # right-aligned in the same column
    assert "55,6" in text  # decimal comma


def test_csv_parses_back_into_one_table() -> None:
    text = render_csv(sample())
    assert text.startswith("\ufeff")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert set(rows[0]) == {"Phần", "Mã", "Mục", "Chỉ số", "Giá trị"}
    assert all(len(row) == 5 and None not in row for row in rows)

    def value(section: str, item: str, metric: str) -> str:
        (row,) = [
            r
            for r in rows
            if r["Phần"] == section and item in (r["Mã"], r["Mục"]) and r["Chỉ số"] == metric
        ]
        return row["Giá trị"]

    assert value("Yêu cầu hỗ trợ theo trạng thái", "closed", "Số yêu cầu") == "1100"
    assert value("Yêu cầu hỗ trợ theo trạng thái", "total", "Số yêu cầu") == "1200"
    assert value("Thời gian chờ và thời gian hỗ trợ (phút)", "wait", "P90 (phút)") == "42.5"
    assert value("Hoạt động của từng tình nguyện viên", "Nguyễn Thị Lan", "Phiên đã nhận") == "600"
    assert value("Tổng quan", "Kỳ báo cáo", "Từ ngày") == "2025-06-01"
    assert value("Tổng quan", "Bản ghi DEMO", "Yêu cầu hỗ trợ") == "3"


def test_xlsx_has_an_overview_and_one_sheet_per_breakdown() -> None:
    workbook = load_workbook(io.BytesIO(render_xlsx(sample())))
    assert workbook.sheetnames == [
        "Tổng quan",
        "Trạng thái",
        "Chủ đề",
        "Kết quả",
        "Người dân được hỗ trợ",
        "Dịch vụ",
        "Thời gian",
        "Đánh giá",
        "Tình nguyện viên",
    ]
    overview = {row[0]: row[1] for row in workbook["Tổng quan"].iter_rows(values_only=True)}
    start, end = overview["Từ ngày"], overview["Đến ngày"]
    assert isinstance(start, datetime)
    assert start.date() == date(2025, 6, 1)
    assert isinstance(end, datetime)
    assert end.date() == date(2025, 6, 30)
    generated = datetime(2025, 6, 27, 14, 5, tzinfo=VIETNAM).replace(tzinfo=None)
    assert overview["Lập lúc (giờ Việt Nam)"] == generated
    assert overview["Bản ghi DEMO trong số liệu"] == 5
    assert overview["Tỉnh/thành phố"] == "Hà Nội (mã 01)"
    assert overview["Tổng số người dân được hỗ trợ"] == 1465

    status = workbook["Trạng thái"]
    assert [c.value for c in status[1]] == ["Trạng thái", "Số yêu cầu"]
    assert all(c.font.bold for c in status[1])
    rows = list(status.iter_rows(min_row=2, values_only=True))
    assert ("Đã kết thúc", 1100) in rows
    assert rows[-1] == ("Tổng cộng", 1200)
    assert status.column_dimensions["A"].width >= len("Không có người nhận")

    times = list(workbook["Thời gian"].iter_rows(min_row=2, values_only=True))
    assert times[0] == ("Chờ tình nguyện viên nhận", 1145, 7.25, 42.5)
    assert workbook["Thời gian"]["C2"].number_format == "0.0"
    volunteers = list(workbook["Tình nguyện viên"].iter_rows(values_only=True))
    assert volunteers[1] == ("Nguyễn Thị Lan", 600, 590, 10, 250)
    assert volunteers[2][0] == "(không ghi tên)"


@pytest.mark.charts
def test_png_is_a_real_chart() -> None:
    data = render_png(sample())
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000


def test_an_empty_report_renders() -> None:
    empty = replace(
        sample(),
        requests_total=0,
        by_status=(("open", 0),),
        wait=Durations(0, None, None),
        ratings=Ratings(0, None, ((5, 0),)),
        volunteers=(),
        demo_requests=0,
        demo_field_logs=0,
    )
    assert "không có bản ghi DEMO" in render_table(empty)
    assert "(không có)" in render_table(empty)
    workbook = load_workbook(io.BytesIO(render_xlsx(empty)))
    assert workbook["Thời gian"]["C2"].value is None
    assert "Chờ tình nguyện viên nhận,Số phiên,0" in render_csv(empty)


# --- From a database holding contact data ---------------------------------------------------


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


async def test_no_contact_data_in_any_output(contact_db: AsyncEngine) -> None:
    async with session_factory(contact_db)() as session:
        report = await build_report(session, JUNE, now=NOW)
    outputs = {
        "table": render_table(report),
        "csv": render_csv(report),
        "xlsx": xlsx_text(render_xlsx(report)),
    }
    png = render_png(report) if charts_installed() else b""  # the PNG only with the extra
    for name, text in outputs.items():
        assert "Lan" in text, name
        for secret in (*SECRETS, "Người dân R", "zalo", "telegram"):
            assert secret not in text, (name, secret)
    for secret in SECRETS:
        assert secret.encode() not in png


# --- Formula injection (issue 11 §7) -------------------------------------------------------

HOSTILE = (
    '=HYPERLINK("http://x","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
)


def hostile_sample() -> Report:
    names = tuple(VolunteerStats(name, 1, 1, 1, 1) for name in HOSTILE)
    return replace(sample(), volunteers=names, team_name='=cmd|" /C calc"!A0')


def test_csv_cells_that_look_like_formulas_stay_text() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(hostile_sample()).lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    for name in HOSTILE:
        assert name not in cells
        assert "'" + name in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    # Numbers stay numbers (a negative number is a number, not text to neutralise).
    assert "1200" in cells


def test_xlsx_cells_that_look_like_formulas_are_text_not_formulas() -> None:
    workbook = load_workbook(io.BytesIO(render_xlsx(hostile_sample())))
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen.add(cell.value)
    for name in HOSTILE:  # shown as typed, as text (XML keeps no bare carriage return)
        assert any(name.strip("\t\r") in value for value in seen), name
    with zipfile.ZipFile(io.BytesIO(render_xlsx(hostile_sample()))) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml"))
    assert b"<f>" not in xml  # no formula element anywhere in the file
