"""Checking field-log rows: good files, columns, dates, numbers, services, communes, text."""

from __future__ import annotations

import codecs
from datetime import date, datetime

import pytest

from storage.fieldlogs import FieldLogDraft
from storage.vocabulary import SERVICES
from tests.features.fieldlogs.files import (
    HEADER,
    TODAY,
    csv_text,
    parse,
    problems_of,
    xlsx_bytes,
)

# --- Good files ------------------------------------------------------------------------------


def test_a_good_file_gives_one_draft_per_row() -> None:
    parsed = parse(
        csv_text(
            "05/10/2025,00004,Nhà văn hóa thôn 3,vneid_activation; dvc_submission,12,120,"
            "Nguyễn Văn An,Bà con rất vui",
            "12/10/2025,,Đến từng nhà,Việc khác,3,,,",
        )
    )
    assert parsed.file_error is None
    assert parsed.problems == []
    assert parsed.warnings == []
    assert (parsed.read, parsed.rejected) == (2, 0)
    assert parsed.rows == [
        FieldLogDraft(
            line=2,
            day=date(2025, 10, 5),
            commune_code="00004",
            province_code="01",
            services=("vneid_activation", "dvc_submission"),
            citizens_helped=12,
            place="Nhà văn hóa thôn 3",
            duration_minutes=120,
            volunteer_name="Nguyễn Văn An",
            notes="Bà con rất vui",
        ),
        FieldLogDraft(
            line=3,
            day=date(2025, 10, 12),
            commune_code="00008",  # empty: the team's commune
            province_code="01",
            services=("other",),
            citizens_helped=3,
            place="Đến từng nhà",
        ),
    ]


def test_headers_match_with_or_without_diacritics_in_any_case_and_order() -> None:
    header = "Số người,NGAY,Dịch Vụ,Thời gian (phút),xã/phường,ĐỊA ĐIỂM,tình nguyện viên,Ghi chú"
    parsed = parse(csv_text("7,05/10/2025,other,45,Phường Bến Thành,Chợ,An,", header=header))
    assert parsed.problems == []
    [row] = parsed.rows
    assert (row.citizens_helped, row.day, row.services, row.duration_minutes) == (
        7,
        date(2025, 10, 5),
        ("other",),
        45,
    )
    assert (row.commune_code, row.province_code, row.place, row.volunteer_name) == (
        "26734",
        "79",
        "Chợ",
        "An",
    )


def test_header_may_be_preceded_by_blank_lines_and_rows_keep_spreadsheet_numbers() -> None:
    parsed = parse("\r\n,,\r\n" + csv_text("05/10/2025,,,other,1,,,", "", "06/10/2025,,,x,1,,,"))
    assert [row.line for row in parsed.rows] == [4]
    assert set(problems_of(parsed)) == {6}


def test_semicolon_and_tab_separated_files_are_read() -> None:
    semicolon = csv_text("05/10/2025;;Thôn 1, xóm 2;other;2;;;", header=HEADER.replace(",", ";"))
    tab = csv_text("05/10/2025\t\tThôn 1\tother\t2\t\t\t", header=HEADER.replace(",", "\t"))
    for data in (semicolon, tab):
        parsed = parse(data)
        assert parsed.problems == []
        assert [row.citizens_helped for row in parsed.rows] == [2]
    assert parse(semicolon).rows[0].place == "Thôn 1, xóm 2"


def test_utf8_bom_is_accepted() -> None:
    parsed = parse(codecs.BOM_UTF8 + csv_text("05/10/2025,,Nhà văn hóa,other,4,,,").encode())
    assert parsed.file_error is None
    assert [row.place for row in parsed.rows] == ["Nhà văn hóa"]


def test_utf16_unicode_text_from_excel_is_accepted() -> None:
    data = csv_text("05/10/2025\t\tNhà văn hóa\tother\t4\t\t\t", header=HEADER.replace(",", "\t"))
    parsed = parse(data.encode("utf-16"), "nhat_ky.txt")
    assert [row.place for row in parsed.rows] == ["Nhà văn hóa"]


def test_decomposed_unicode_and_extra_spaces_are_normalized() -> None:
    place = "  Nha\u0300   văn\u00a0hóa  "  # NFD "Nhà", a non-breaking space
    parsed = parse(csv_text(f"05/10/2025,,{place},other,4,,,"))
    assert parsed.rows[0].place == "Nhà văn hóa"


# --- Columns ---------------------------------------------------------------------------------


def test_extra_columns_are_a_warning_not_an_error() -> None:
    parsed = parse(csv_text("05/10/2025,,,other,1,,,,x,y", header=HEADER + ",STT,Số điện thoại"))
    assert parsed.file_error is None
    assert len(parsed.rows) == 1
    [warning] = parsed.warnings
    assert "“STT”" in warning
    assert "“Số điện thoại”" in warning


def test_unnamed_columns_are_ignored() -> None:
    parsed = parse(csv_text("05/10/2025,,,other,1,,,,x", header=HEADER + ","))
    assert (len(parsed.rows), parsed.warnings) == (1, [])


@pytest.mark.parametrize("missing", ["ngay", "so_nguoi", "dich_vu"])
def test_a_missing_required_column_rejects_the_whole_file(missing: str) -> None:
    columns = [c for c in HEADER.split(",") if c != missing]
    parsed = parse(csv_text("05/10/2025,,other,1", header=",".join(columns)))
    assert parsed.rows == []
    assert parsed.problems == []
    assert parsed.file_error is not None
    assert f"Thiếu cột bắt buộc: {missing}" in parsed.file_error


def test_the_commune_column_is_required_only_without_a_team() -> None:
    header = "ngay,dich_vu,so_nguoi"
    with_team = parse(csv_text("05/10/2025,other,1", header=header), default_commune="00004")
    assert [(row.commune_code, row.province_code) for row in with_team.rows] == [("00004", "01")]
    without = parse(csv_text("05/10/2025,other,1", header=header), default_commune=None)
    assert without.file_error is not None
    assert "xa_phuong" in without.file_error


def test_a_file_with_the_wrong_columns_lists_what_it_found() -> None:
    parsed = parse("Họ tên,Điện thoại\r\nAn,0912345678\r\n")
    assert parsed.file_error is not None
    assert "ngay, dich_vu, so_nguoi" in parsed.file_error
    assert "“Họ tên”" in parsed.file_error


def test_a_column_given_twice_rejects_the_file() -> None:
    parsed = parse(
        csv_text("05/10/2025,,other,1,2", header="ngay,xa_phuong,dich_vu,so_nguoi,Ngày")
    )
    assert parsed.file_error is not None
    assert "cột A và cột E" in parsed.file_error


def test_a_team_commune_without_province_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="99999"):
        parse(csv_text("05/10/2025,,,other,1,,,"), default_commune="99999")


# --- Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("05/10/2025", date(2025, 10, 5)),
        ("5/10/2025", date(2025, 10, 5)),
        ("05-10-2025", date(2025, 10, 5)),
        ("05.10.2025", date(2025, 10, 5)),
        ("05/10/25", date(2025, 10, 5)),
        ("2025-10-05", date(2025, 10, 5)),
        ("2025-10-05 00:00:00", date(2025, 10, 5)),
        ("01/07/2025", date(2025, 7, 1)),
        ("20/11/2025", TODAY),
    ],
)
def test_dates_as_vietnamese_write_them(cell: str, expected: date) -> None:
    parsed = parse(csv_text(f"{cell},,,other,1,,,"))
    assert parsed.problems == []
    assert [row.day for row in parsed.rows] == [expected]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("", "thiếu ngày"),
        ("hôm qua", "không phải ngày"),
        ("31/02/2025", "không có thật"),
        ("21/11/2025", "ở tương lai"),
        ("01/01/2030", "ở tương lai"),
        ("30/06/2025", "trước 01/07/2025"),
        ("2024-12-01", "trước 01/07/2025"),
        ("10/25/2025", "tháng được ghi trước ngày"),
    ],
)
def test_bad_dates_reject_the_row(cell: str, reason: str) -> None:
    parsed = parse(csv_text(f"{cell},,,other,1,,,", "05/10/2025,,,other,1,,,"))
    assert [row.line for row in parsed.rows] == [3]
    assert reason in problems_of(parsed)[2]["ngay"]


def test_month_first_dates_warn_that_other_dates_may_be_misread() -> None:
    parsed = parse(csv_text("10/25/2025,,,other,1,,,", "09/10/2025,,,other,1,,,"))
    assert [row.day for row in parsed.rows] == [date(2025, 10, 9)]  # as written: 9 October
    assert any("tháng trước ngày" in warning for warning in parsed.warnings)


# --- Numbers, services, communes, text -------------------------------------------------------


@pytest.mark.parametrize(
    ("citizens", "minutes", "field", "reason"),
    [
        ("", "", "so_nguoi", "thiếu số người"),
        ("0", "", "so_nguoi", "phải từ 1 đến 1.000"),
        ("1001", "", "so_nguoi", "phải từ 1 đến 1.000"),
        ("-3", "", "so_nguoi", "không phải số nguyên"),
        ("2.5", "", "so_nguoi", "không phải số nguyên"),
        ("1.000", "", "so_nguoi", "không phải số nguyên"),
        ("năm", "", "so_nguoi", "không phải số nguyên"),
        ("9" * 5000, "", "so_nguoi", "không phải số nguyên"),
        ("3", "0", "thoi_gian_phut", "phải từ 1 đến 1.440"),
        ("3", "1441", "thoi_gian_phut", "phải từ 1 đến 1.440"),
        ("3", "1 giờ", "thoi_gian_phut", "không phải số nguyên"),
    ],
)
def test_bad_numbers_reject_the_row(citizens: str, minutes: str, field: str, reason: str) -> None:
    parsed = parse(csv_text(f"05/10/2025,,,other,{citizens},{minutes},,"))
    assert parsed.rows == []
    assert reason in problems_of(parsed)[2][field]


def test_numbers_at_the_limits_are_accepted() -> None:
    parsed = parse(csv_text("05/10/2025,,,other,1000,1440,,", "05/10/2025,,,other, 1 ,1,,"))
    assert [(r.citizens_helped, r.duration_minutes) for r in parsed.rows] == [(1000, 1440), (1, 1)]


def test_services_by_code_or_label_with_or_without_diacritics() -> None:
    cells = [
        "vneid_activation",
        "Kích hoạt tài khoản VNeID",
        "kich hoat tai khoan vneid",
        "KÍCH HOẠT TÀI KHOẢN VNEID",
    ]
    parsed = parse(csv_text(*(f'05/10/2025,,,"{cell}",1,,,' for cell in cells)))
    assert [row.services for row in parsed.rows] == [("vneid_activation",)] * 4


def test_labels_containing_a_comma_survive_comma_separated_lists() -> None:
    cell = "Cài ứng dụng ngân hàng, ví điện tử, Thanh toan QR, chuyen khoan,vneid_other"
    parsed = parse(csv_text(f'05/10/2025,,,"{cell}",1,,,'))
    assert parsed.problems == []
    assert parsed.rows[0].services == ("cashless_setup", "cashless_use", "vneid_other")


def test_every_service_code_and_label_is_accepted() -> None:
    rows = [f'05/10/2025,,,"{code}; {label}",1,,,' for code, label in SERVICES.items()]
    parsed = parse(csv_text(*rows))
    assert [row.services for row in parsed.rows] == [(code,) for code in SERVICES]


def test_an_unknown_service_names_it_and_lists_the_accepted_values() -> None:
    parsed = parse(csv_text('05/10/2025,,,"vneid_activation; sửa tivi",1,,,'))
    message = problems_of(parsed)[2]["dich_vu"]
    assert "“sửa tivi”" in message
    for code, label in SERVICES.items():
        assert f"{code} ({label})" in message


def test_an_empty_service_cell_is_an_error() -> None:
    parsed = parse(csv_text("05/10/2025,,,;,1,,,"))
    assert "Việc khác" in problems_of(parsed)[2]["dich_vu"]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("26734", "26734"),
        ("4", "00004"),  # Excel dropped the leading zeros
        ("Phường Ba Đình", "00004"),
        ("phuong ba dinh", "00004"),
        ("", "00008"),
    ],
)
def test_communes_by_code_or_name(cell: str, code: str) -> None:
    parsed = parse(csv_text(f"05/10/2025,{cell},,other,1,,,"))
    assert [row.commune_code for row in parsed.rows] == [code]


def test_an_unknown_commune_rejects_the_row() -> None:
    parsed = parse(csv_text("05/10/2025,Xã Không Có,,other,1,,,"))
    assert "“Xã Không Có”" in problems_of(parsed)[2]["xa_phuong"]
    without_team = parse(csv_text("05/10/2025,,,other,1,,,"), default_commune=None)
    assert problems_of(without_team)[2]["xa_phuong"] == "thiếu xã/phường"


def test_personal_data_in_notes_is_masked_and_reported() -> None:
    parsed = parse(csv_text("05/10/2025,,,other,1,,,Bác Tư số 0912 345 678 nhờ gọi lại"))
    assert parsed.rows[0].notes == "Bác Tư số [số điện thoại] nhờ gọi lại"
    assert any("Đã che thông tin cá nhân" in warning for warning in parsed.warnings)


@pytest.mark.parametrize(
    ("column", "index", "limit"),
    [("dia_diem", 2, 200), ("tinh_nguyen_vien", 6, 80), ("ghi_chu", 7, 1000)],
)
def test_text_longer_than_its_column_rejects_the_row(column: str, index: int, limit: int) -> None:
    cells = ["05/10/2025", "", "", "other", "1", "", "", ""]
    cells[index] = "a" * (limit + 1)
    parsed = parse(csv_text(",".join(cells)))
    assert f"tối đa {limit:,}".replace(",", ".") in problems_of(parsed)[2][column]
    cells[index] = "a" * limit
    assert len(parse(csv_text(",".join(cells))).rows) == 1


def test_all_problems_of_a_row_are_reported_and_good_rows_are_kept() -> None:
    parsed = parse(
        csv_text(
            "05/10/2025,,,other,1,,,",
            "40/10/2025,Xã Lạ,,sửa xe,0,,,",
            "06/10/2025,,,other,2,,,",
        )
    )
    assert [row.line for row in parsed.rows] == [2, 4]
    assert set(problems_of(parsed)[3]) == {"ngay", "xa_phuong", "dich_vu", "so_nguoi"}
    assert (parsed.read, parsed.rejected) == (3, 1)


def test_identical_rows_are_kept_with_a_warning() -> None:
    parsed = parse(csv_text("05/10/2025,,Chợ,other,1,,,", "05/10/2025,,Chợ,other,1,,,"))
    assert len(parsed.rows) == 2
    assert any("dòng 3 giống dòng 2" in warning for warning in parsed.warnings)


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_with_real_excel_dates_numbers_and_codes() -> None:
    morning = datetime(2025, 10, 5, 8, 30)  # noqa: DTZ001 (Excel cells hold naive times)
    future = datetime(2025, 12, 1)  # noqa: DTZ001
    data = xlsx_bytes(
        [
            ["Ngày", "Xã/Phường", "Dịch vụ", "Số người", "Thời gian (phút)", "Ghi chú"],
            [morning, 4, "Kích hoạt tài khoản VNeID", 12, 90.0, None],
            [date(2025, 10, 6), "26734", "other", 3.0, None, "Chiều chủ nhật"],
            [],
            [45935, None, "other", 1, None, None],  # a serial day number without a date format
            [future, None, "other", 2.5, None, None],
        ],
        extra_sheet=True,
    )
    parsed = parse(data, "nhat_ky.xlsx")
    assert parsed.file_error is None
    assert [(r.line, r.day, r.commune_code, r.citizens_helped) for r in parsed.rows] == [
        (2, date(2025, 10, 5), "00004", 12),
        (3, date(2025, 10, 6), "26734", 3),
        (5, date(2025, 10, 5), "00008", 1),
    ]
    assert parsed.rows[0].duration_minutes == 90
    assert set(problems_of(parsed)[6]) == {"ngay", "so_nguoi"}
    assert any("chỉ đọc trang đầu tiên" in warning for warning in parsed.warnings)


def test_xlsx_content_is_recognized_whatever_the_file_name() -> None:
    data = xlsx_bytes([["ngay", "dich_vu", "so_nguoi"], ["05/10/2025", "other", 1]])
    assert len(parse(data, "nhat_ky.csv").rows) == 1
