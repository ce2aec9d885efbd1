"""Reading a leader's field-log file: bytes in, numbered rows of cells out, or a `FileProblem`.

A leader sends whatever their computer saved: CSV in UTF-8 (with or without a BOM), ';' or tab
separated, Excel's UTF-16 "Unicode Text", or an XLSX workbook. Everything else (an old .xls,
a PDF, Windows-1258 text, a broken or zip-bomb workbook, too many rows) is a `FileProblem`
whose message tells the leader, in Vietnamese, what to do. Reading never interprets a cell;
`parsing` does.

Nothing here logs the file's name or content: a file name can be a person's name.
"""

from __future__ import annotations

import csv
import io
import logging
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any, Final

from bot.features.fieldlogs import limits
from bot.features.fieldlogs.cells import COLUMNS, key, row_blank

__all__ = [
    "SAVE_AS_UTF8",
    "FileProblem",
    "Row",
    "check_xlsx_archive",
    "read_rows",
    "unreadable_error",
]

logger = logging.getLogger(__name__)

SAVE_AS_UTF8: Final = (
    "Hãy lưu tệp dưới dạng CSV UTF-8: trong Excel chọn Tệp → Lưu thành → "
    "“CSV UTF-8 (Comma delimited) (*.csv)”, hoặc gửi thẳng tệp .xlsx."
)
_XLSX_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc


class FileProblem(Exception):
    """A whole-file problem the leader can fix; the message is Vietnamese, for the leader.

    Raised by reading (format, encoding, size) and by parsing for the header (a required
    column missing, a column twice, no data rows). Nothing else is reported as the file's fault.
    """


Row = tuple[int, Sequence[object]]  # (spreadsheet row number, cell values)


def read_rows(data: bytes, filename: str) -> tuple[list[Row], list[str]]:
    """Every row of the first sheet (or of the CSV), numbered as the spreadsheet shows them."""
    if not data:
        raise FileProblem("Tệp trống.")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, filename)
    if data.startswith(_OLE_MAGIC):
        raise FileProblem(
            "Đây là tệp Excel cũ (.xls). Hãy mở trong Excel và lưu lại dưới dạng .xlsx "
            "hoặc CSV UTF-8."
        )
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            decoded = data.decode("utf-16")  # Excel's "Unicode Text": UTF-16, tab-separated
        except UnicodeDecodeError:
            raise FileProblem(f"Tệp bị hỏng, không đọc được chữ. {SAVE_AS_UTF8}") from None
        return _read_csv(decoded), []
    if b"\x00" in data[:4096] or data.startswith(b"%PDF"):
        raise FileProblem(
            f"Tệp “{filename}” không phải bảng tính CSV hay Excel (.xlsx). {SAVE_AS_UTF8}"
        )
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileProblem(
            f"Tệp không phải mã UTF-8 (chữ lỗi từ dòng {line}; có thể tệp được lưu bằng "
            f"Windows-1258, ANSI, TCVN3 hoặc VNI). {SAVE_AS_UTF8}"
        ) from None
    return _read_csv(decoded), []


def _read_csv(decoded: str) -> list[Row]:
    if "\x00" in decoded:
        raise FileProblem(f"Tệp chứa ký tự lạ, không phải bảng tính CSV. {SAVE_AS_UTF8}")
    delimiter = _sniff_delimiter(decoded)
    rows: list[Row] = []
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one cell
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter, strict=True)
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            if not row_blank(cells):
                rows.append((line, cells))
                # the header and one row too many: enough to refuse
                if len(rows) > limits.MAX_ROWS + 1:
                    break
    except csv.Error:
        raise FileProblem(
            f"Không đọc được tệp CSV ở dòng {line + 1} (có thể một ô quá dài hoặc thiếu dấu "
            "ngoặc kép). Hãy mở tệp trong Excel và lưu lại dưới dạng CSV UTF-8."
        ) from None
    return rows


def _sniff_delimiter(decoded: str) -> str:
    """',' (Excel in English), ';' (Excel set to Vietnamese) or tab: whichever names columns."""
    first = next((line for line in io.StringIO(decoded) if line.strip()), "")
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            header = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            continue
        known = sum(key(cell, "_") in COLUMNS for cell in header)
        score = (known, len(header))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def check_xlsx_archive(data: bytes, filename: str, unreadable: str) -> None:
    """Refuse, before parsing, a workbook that would unpack to far more than it weighs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    # NotImplementedError: a zip version or feature Python does not read (a damaged header)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise FileProblem(unreadable) from None
    unpacked = sum(part.file_size for part in parts)
    shared = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    too_big = (
        len(parts) > limits.MAX_XLSX_PARTS
        or unpacked > limits.MAX_XLSX_UNPACKED
        or shared > limits.MAX_XLSX_SHARED_STRINGS
        or (unpacked > 4 * 1024 * 1024 and unpacked > limits.MAX_XLSX_RATIO * max(1, len(data)))
    )
    if too_big:
        megabytes = unpacked / (1024 * 1024)
        raise FileProblem(
            f"Tệp Excel “{filename}” khi giải nén lớn bất thường ({megabytes:,.0f} MB, "
            f"{len(parts)} phần), có thể chứa hàng triệu dòng trống. Hãy xóa các dòng, cột "
            "thừa rồi lưu lại, chia nhỏ tệp, hoặc lưu dưới dạng CSV UTF-8."
        )


def _read_xlsx(data: bytes, filename: str) -> tuple[list[Row], list[str]]:
    import openpyxl  # imported only for spreadsheets

    unreadable = (
        f"Không đọc được tệp Excel “{filename}”. Hãy mở tệp trong Excel và lưu lại dưới dạng "
        ".xlsx, hoặc lưu dưới dạng CSV UTF-8 (tệp .ods, Google Sheets: tải về dạng .xlsx)."
    )
    check_xlsx_archive(data, filename, unreadable)
    notes: list[str] = []
    rows: list[Row] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # see _sheet_rows: the library's errors are the file's
            raise unreadable_error(unreadable, error) from None
        try:
            if not workbook.worksheets:
                raise FileProblem(unreadable)
            sheet = workbook.worksheets[0]
            if len(workbook.worksheets) > 1:
                notes.append(
                    f"Tệp có {len(workbook.worksheets)} trang tính; chỉ đọc trang đầu tiên "
                    f"“{sheet.title}”."
                )
            sheet.reset_dimensions()  # trust the rows, not the size the file claims
            for line, cells in enumerate(_sheet_rows(sheet, unreadable), start=1):
                if line > limits.MAX_XLSX_LINES:
                    notes.append(f"Chỉ đọc {limits.MAX_XLSX_LINES:,} dòng đầu của trang tính.")
                    break
                if not row_blank(cells):
                    rows.append((line, cells))
                    if len(rows) > limits.MAX_ROWS + 1:
                        break
        finally:
            workbook.close()
    return rows, notes


def _sheet_rows(sheet: Any, unreadable: str) -> Iterator[Sequence[object]]:
    """The sheet's rows as openpyxl reads them, its failures turned into a `FileProblem`.

    openpyxl parses the workbook's XML lazily, row by row, and a malformed part fails with
    whatever the XML or zip layer raises (KeyError, ValueError, TypeError, ParseError...):
    there is no one exception type to catch. Only the library's own step is wrapped, so a
    bug in this module is never reported as a problem with the leader's file.
    """
    iterator = sheet.iter_rows(values_only=True)
    while True:
        try:
            cells = next(iterator)
        except StopIteration:
            return
        except Exception as error:
            raise unreadable_error(unreadable, error) from None
        yield cells


def unreadable_error(message: str, error: Exception) -> FileProblem:
    """The leader's message; the log has the error's type only (no file name, no content)."""
    logger.info("unreadable XLSX workbook: %s", type(error).__name__)
    return FileProblem(message)
