"""Reading field-log files: broken, empty, old-format, too big, zip bombs; and speed."""

from __future__ import annotations

import csv
import io
import random
import time
import zipfile
from datetime import date, timedelta

import pytest

from bot.features.fieldlogs import limits
from bot.features.fieldlogs.cells import COLUMNS
from storage.vocabulary import SERVICES
from tests.features.fieldlogs.files import (
    HEADER,
    csv_text,
    parse,
    xlsx_bytes,
)

# --- Broken and empty files ------------------------------------------------------------------


def test_windows_1258_file_is_refused_with_advice() -> None:
    text = csv_text("05/10/2025,,Nhà văn hoá,Việc khác,4,,Nguyễn Văn Ân,")
    data = text.encode("cp1258", errors="replace")
    parsed = parse(data)
    assert parsed.rows == []
    assert parsed.file_error is not None
    assert "CSV UTF-8" in parsed.file_error
    assert "dòng 2" in parsed.file_error


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Tệp trống"),
        (b"\xef\xbb\xbf", "Tệp trống"),
        (b"\r\n \r\n,,,\r\n", "Tệp trống"),
        (HEADER.encode(), "chỉ có dòng tiêu đề"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel cũ (.xls)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "không phải bảng tính"),
        (b"PK\x03\x04" + bytes(100), "Không đọc được tệp Excel"),
        (b'ngay,dich_vu,so_nguoi\n"05/10/2025,other,1\n\x00', "CSV"),
    ],
)
def test_whole_file_problems_import_nothing(data: bytes, reason: str) -> None:
    parsed = parse(data)
    assert (parsed.rows, parsed.problems) == ([], [])
    assert parsed.file_error is not None
    assert reason in parsed.file_error


def test_an_unclosed_quote_rejects_the_file_instead_of_swallowing_rows() -> None:
    parsed = parse(csv_text("05/10/2025,,,other,1,,,", '06/10/2025,,"Thôn 3,other,1,,,', "x"))
    assert parsed.rows == []
    assert parsed.file_error is not None
    assert "dòng 3" in parsed.file_error
    assert "ngoặc kép" in parsed.file_error


def test_a_truncated_xlsx_is_refused() -> None:
    data = xlsx_bytes([["ngay", "dich_vu", "so_nguoi"], ["05/10/2025", "other", 1]])
    parsed = parse(data[: len(data) // 2], "nhat_ky.xlsx")
    assert parsed.file_error is not None
    assert "Không đọc được tệp Excel" in parsed.file_error


def test_a_workbook_claiming_an_unknown_zip_version_is_refused() -> None:
    """zipfile raises NotImplementedError for it: still the file's problem, not a bug of ours
    (a mutation fuzzer found it once the catch-all was gone)."""
    data = bytearray(xlsx_bytes([["ngay", "dich_vu", "so_nguoi"], ["05/10/2025", "other", 1]]))
    directory = data.index(b"PK\x01\x02")
    data[directory + 6] = 0xFF  # "version needed to extract" of the first entry
    parsed = parse(bytes(data), "nhat_ky.xlsx")
    assert parsed.file_error is not None
    assert "Không đọc được tệp Excel" in parsed.file_error


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits.MAX_ROWS >= 100_000
    monkeypatch.setattr(limits, "MAX_ROWS", 3)
    parsed = parse(csv_text(*["05/10/2025,,,other,1,,,"] * 4))
    assert parsed.file_error is not None
    assert "hơn 3 dòng" in parsed.file_error
    assert len(parse(csv_text(*["05/10/2025,,,other,1,,,"] * 3)).rows) == 3


# --- Size ------------------------------------------------------------------------------------


def big_csv(rows: int, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    labels, codes = list(SERVICES.values()), list(SERVICES)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for i in range(rows):
        day = date(2025, 7, 1) + timedelta(days=rng.randrange(140))
        services = "; ".join(rng.sample(labels, 2)) if i % 2 else ",".join(rng.sample(codes, 2))
        writer.writerow(
            [
                day.strftime("%d/%m/%Y"),
                rng.choice(["00004", "Phường Bến Thành", ""]),
                f"Nhà văn hóa thôn {rng.randrange(40)}",
                services,
                rng.randrange(1, 60),
                rng.choice(["", "60", "90"]),
                f"Tình nguyện viên {rng.randrange(300)}",
                rng.choice(["", f"Buổi số {i}", "Hẹn gọi lại 0912345678"]),
            ]
        )
    return out.getvalue().encode("utf-8")


def test_a_hundred_thousand_rows_parse_in_a_few_seconds() -> None:
    data = big_csv(100_000)
    started = time.perf_counter()
    parsed = parse(data)
    elapsed = time.perf_counter() - started
    assert parsed.file_error is None
    assert parsed.problems == []
    assert len(parsed.rows) == parsed.read == 100_000
    assert elapsed < 30, f"{elapsed:.1f} s"  # about 4 s on the development machine


def _bomb(sheet_xml: bytes, shared: bytes | None = None) -> bytes:
    """A real workbook whose sheet (or shared strings) is replaced by a huge, very
    compressible part: a few hundred kilobytes on disk, hundreds of megabytes unpacked."""
    good = xlsx_bytes([["ngay", "dich_vu", "so_nguoi"], ["05/10/2025", "other", 1]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            target.writestr(item.filename, data)
        if shared is not None:
            target.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def test_xlsx_bombs_are_refused_at_once() -> None:
    """Issue 11 §8: 50 million empty rows (439 KB) ran for minutes and took 4.4 GB; one huge
    shared string took 3.2 GB. Such files are refused before parsing, saying why."""
    import resource
    import time

    head = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>'
    )
    sheet = head + b"<row/>" * 10_000_000 + b"</sheetData></worksheet>"  # 60 MB unpacked
    empty_rows = _bomb(sheet)
    huge_string = _bomb(
        head + b"</sheetData></worksheet>",
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        + b"a" * (40 * 1024 * 1024)
        + b"</t></si></sst>",
    )
    del sheet
    for data in (empty_rows, huge_string):
        assert len(data) < 2 * 1024 * 1024
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        parsed = parse(data, "nhat_ky.xlsx")
        assert time.perf_counter() - started < 2.0
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert grown_mb < 200
        assert parsed.file_error is not None
        assert "giải nén lớn bất thường" in parsed.file_error
        assert parsed.rows == []
