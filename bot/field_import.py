"""Field logs typed from paper: check a team leader's CSV or XLSX file, then store the good rows.

Much help happens in person (a Sunday at the village cultural house, door to door). Volunteers
write it on paper and a team leader types it into a spreadsheet; this module reads that
spreadsheet. The layout is documented in content/FIELD_LOGS.md and shipped as a template
(`template_csv`, content/field_log_template.csv).

Two steps, so the caller owns the transaction and can show a dry run:
- `parse_field_logs` (pure, no database): every row is either a `FieldLogDraft` or one or more
  `RowProblem`s with the spreadsheet's row number; a whole-file problem (not a CSV/XLSX, not
  UTF-8, a required column missing, empty) is `file_error` and nothing is kept.
- `store_field_logs` inserts the drafts in chunks and skips rows already imported before (the
  same day, commune, place, services, number of citizens, volunteer name and notes), so the same
  file imported twice counts once. It never commits.
`format_import_summary` tells the leader, in Vietnamese, what was imported and what to fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, TypeVar, cast

from sqlalchemy import Table, insert, select
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from intents.normalize import tokenize
from storage.masking import mask
from storage.models import AuditRow, FieldLogRow, utcnow
from storage.vocabulary import SERVICES

__all__ = [
    "COLUMNS",
    "FIRST_DAY",
    "MAX_ROWS",
    "FieldLogDraft",
    "ParsedImport",
    "RowProblem",
    "StoreResult",
    "fingerprint",
    "format_import_summary",
    "parse_field_logs",
    "store_field_logs",
    "template_csv",
    "template_csv_bytes",
]

logger = logging.getLogger(__name__)

# The documented columns, by their folded header name (see content/FIELD_LOGS.md).
COLUMNS: Final = (
    "ngay",
    "xa_phuong",
    "dia_diem",
    "dich_vu",
    "so_nguoi",
    "thoi_gian_phut",
    "tinh_nguyen_vien",
    "ghi_chu",
)
REQUIRED: Final = ("ngay", "dich_vu", "so_nguoi")  # and xa_phuong when no team commune is given
FIRST_DAY: Final = date(2025, 7, 1)  # the new two-level administrative units
MAX_ROWS: Final = 200_000
# An XLSX file is a zip: its parts are checked before anything is parsed, so a small file that
# unpacks to gigabytes (millions of empty rows, one huge shared string) is refused at once.
MAX_XLSX_UNPACKED: Final = 64 * 1024 * 1024  # all parts together
MAX_XLSX_SHARED_STRINGS: Final = 16 * 1024 * 1024
MAX_XLSX_PARTS: Final = 500
MAX_XLSX_RATIO: Final = 100  # unpacked / packed, beyond a few megabytes
MAX_XLSX_LINES: Final = MAX_ROWS * 2  # rows read, blank ones included
MAX_CITIZENS: Final = 1000
MAX_MINUTES: Final = 1440
MAX_PLACE: Final = 200  # the lengths of the field_logs columns
MAX_NAME: Final = 80
MAX_NOTES: Final = 1000
INSERT_CHUNK: Final = 2000
QUERY_CHUNK: Final = 500  # communes per duplicate-lookup query (bind-parameter limits)
SUMMARY_PROBLEMS: Final = 20
AUDIT_ACTION: Final = "field_log_import"
_LOCK_KEY: Final = 0x6669_656C_646C_6F67  # "fieldlog": serializes imports on PostgreSQL

_SAVE_AS_UTF8: Final = (
    "Hãy lưu tệp dưới dạng CSV UTF-8: trong Excel chọn Tệp → Lưu thành → "
    "“CSV UTF-8 (Comma delimited) (*.csv)”, hoặc gửi thẳng tệp .xlsx."
)
_EXAMPLE_NOTE: Final = "Ví dụ: xóa dòng này trước khi nhập"
_EXAMPLE_KEY: Final = "vi du xoa dong nay"

_XLSX_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_TIME: Final = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY: Final = re.compile(rf"(\d{{1,2}})([/.\-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}")
_YMD: Final = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}")
_DIGITS: Final = re.compile(r"[0-9]{1,9}")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SERVICE_SPLIT: Final = re.compile(r"[;\n]")

T = TypeVar("T")


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldLogDraft:
    """One good row, ready for `FieldLogRow` (team, source and creation time come at storage).

    `line` is the spreadsheet's row number (the header is line 1), for duplicate reports.
    Free text (place, volunteer name, notes) is already masked and whitespace-normalized.
    """

    line: int
    day: date
    commune_code: str
    province_code: str
    services: tuple[str, ...]
    citizens_helped: int
    place: str = ""
    duration_minutes: int | None = None
    volunteer_name: str | None = None
    volunteer_id: int | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one cell of one row was rejected: row number, column name, reason in Vietnamese."""

    line: int
    field: str
    message: str


@dataclass(frozen=True)
class ParsedImport:
    """What `parse_field_logs` read: good rows, rejected rows' problems, or a whole-file error.

    `read` counts non-empty data rows; `warnings` are Vietnamese notes for the leader (unused
    columns, masked personal data, identical rows) that reject nothing.
    """

    rows: list[FieldLogDraft]
    problems: list[RowProblem]
    file_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    read: int = 0

    @property
    def rejected(self) -> int:
        """How many rows were rejected (a row may have several problems)."""
        return len({problem.line for problem in self.problems})


@dataclass(frozen=True)
class StoreResult:
    """What `store_field_logs` did: rows inserted, rows skipped as already imported."""

    inserted: int
    duplicates: int
    duplicate_lines: tuple[int, ...] = ()


class _FileError(Exception):
    """A whole-file problem; the message is Vietnamese, for the leader."""


class _CellError(Exception):
    """One cell's problem; the message is Vietnamese, for the leader."""


# --- Small helpers -------------------------------------------------------------------------


def _number(n: int) -> str:
    """A count as Vietnamese write it: 100.000."""
    return f"{n:,}".replace(",", ".")


def _key(text: str, joiner: str = " ") -> str:
    """Lowercase ASCII words without marks: 'Xã/Phường' -> 'xa phuong'."""
    return joiner.join(token.text for token in tokenize(text))


def _column_letter(index: int) -> str:
    """Excel's name of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(value: object) -> str:
    """A cell as one line of NFC text: no control characters, whitespace collapsed."""
    if isinstance(value, str):
        cleaned = value
    elif value is None:
        return ""
    elif isinstance(value, float) and value.is_integer():
        return str(int(value))
    elif isinstance(value, date):  # a datetime too: the day is what a leader typed
        return value.strftime("%d/%m/%Y")
    else:
        cleaned = str(value)
    if not cleaned.isascii():
        cleaned = unicodedata.normalize("NFC", cleaned)
    if not cleaned.isprintable():
        cleaned = _CONTROL.sub("", cleaned)
    return " ".join(cleaned.split())


def _day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _fingerprint(
    day: date,
    commune_code: str,
    place: str,
    services: Iterable[str],
    citizens_helped: int,
    volunteer_name: str | None,
    notes: str,
) -> str:
    payload = json.dumps(
        [
            day.isoformat(),
            commune_code,
            place,
            sorted(set(services)),
            citizens_helped,
            volunteer_name or "",
            notes,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def fingerprint(draft: FieldLogDraft) -> str:
    """A stable identity of a field log: the same paper entry gives the same fingerprint.

    Day, commune, place, services (as a set), citizens helped, volunteer name and notes; not
    the duration, the team or the row number.
    """
    return _fingerprint(
        draft.day,
        draft.commune_code,
        draft.place,
        draft.services,
        draft.citizens_helped,
        draft.volunteer_name,
        draft.notes,
    )


# --- Services --------------------------------------------------------------------------------


def _service_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, label in SERVICES.items():
        index[_key(code)] = code
        index[_key(label)] = code
    return index


_SERVICE_INDEX: Final = _service_index()
_ACCEPTED_SERVICES: Final = "; ".join(f"{code} ({label})" for code, label in SERVICES.items())


def _parse_services(cell: str) -> tuple[str, ...]:
    """Codes or labels separated by ';' or ','; labels may themselves contain a comma."""
    codes: list[str] = []
    unknown: list[str] = []
    for piece in _SERVICE_SPLIT.split(cell):
        parts = piece.split(",")
        start = 0
        while start < len(parts):
            if not parts[start].strip():
                start += 1
                continue
            for end in range(len(parts), start, -1):  # longest match first
                code = _SERVICE_INDEX.get(_key(",".join(parts[start:end])))
                if code is not None:
                    if code not in codes:
                        codes.append(code)
                    start = end
                    break
            else:
                unknown.append(parts[start].strip())
                start += 1
    if unknown:
        names = ", ".join(f"“{name}”" for name in unknown)
        raise _CellError(
            f"không rõ dịch vụ {names}. Ghi mã hoặc tên dịch vụ, cách nhau bằng dấu chấm phẩy: "
            f"{_ACCEPTED_SERVICES}"
        )
    if not codes:
        raise _CellError("chưa ghi dịch vụ; nếu không rõ, ghi “Việc khác”")
    return tuple(codes)


# --- Cells -----------------------------------------------------------------------------------


def _parse_day(value: object, today: date, us_style: list[int], line: int) -> date:
    if _is_blank(value):
        raise _CellError("thiếu ngày")
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2_958_466:  # an Excel serial day number: 45935 is 5/10/2025
            raise _CellError(f"“{_clean(value)}” không phải ngày; ghi dạng ngày/tháng/năm")
        day = _EXCEL_EPOCH + timedelta(days=int(value))
    else:
        day = _parse_day_text(_clean(value), us_style, line)
    if day > today:
        raise _CellError(f"ngày {_day_text(day)} ở tương lai (hôm nay là {_day_text(today)})")
    if day < FIRST_DAY:
        raise _CellError(
            f"ngày {_day_text(day)} trước {_day_text(FIRST_DAY)}, ngày các xã/phường mới bắt "
            "đầu hoạt động; nhật ký trước ngày này không nhập được"
        )
    return day


def _parse_day_text(cell: str, us_style: list[int], line: int) -> date:
    dmy = _DMY.fullmatch(cell)
    ymd = None if dmy else _YMD.fullmatch(cell)
    if dmy is None and ymd is None:
        raise _CellError(f"“{cell}” không phải ngày; ghi dạng ngày/tháng/năm, ví dụ 05/10/2025")
    if dmy is not None:
        day_n, month_n, year_text = int(dmy.group(1)), int(dmy.group(3)), dmy.group(4)
        year_n = int(year_text) + (2000 if len(year_text) == 2 else 0)
    else:
        assert ymd is not None
        year_n, month_n, day_n = int(ymd.group(1)), int(ymd.group(2)), int(ymd.group(3))
    try:
        return date(year_n, month_n, day_n)
    except ValueError:
        pass
    if dmy is not None and month_n > 12 and 1 <= day_n <= 12:
        us_style.append(line)
        raise _CellError(
            f"“{cell}”: không có tháng {month_n}; có vẻ tháng được ghi trước ngày. "
            "Hãy ghi ngày/tháng/năm, ví dụ 05/10/2025"
        ) from None
    raise _CellError(f"ngày “{cell}” không có thật") from None


def _parse_int(value: object, low: int, high: int, example: str) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    else:
        cell = _clean(value)
        number = int(cell) if _DIGITS.fullmatch(cell) else None
    if number is None:
        raise _CellError(
            f"“{_clean(value)}” không phải số nguyên; ghi một số từ {low} đến {high}, "
            f"ví dụ {example}"
        )
    if not low <= number <= high:
        raise _CellError(f"{number} ngoài khoảng cho phép, phải từ {low} đến {_number(high)}")
    return number


# --- Reading the file ------------------------------------------------------------------------

Row = tuple[int, Sequence[object]]  # (spreadsheet row number, cell values)


def _read_rows(data: bytes, filename: str) -> tuple[list[Row], list[str]]:
    """Every row of the first sheet (or of the CSV), numbered as the spreadsheet shows them."""
    if not data:
        raise _FileError("Tệp trống.")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, filename)
    if data.startswith(_OLE_MAGIC):
        raise _FileError(
            "Đây là tệp Excel cũ (.xls). Hãy mở trong Excel và lưu lại dưới dạng .xlsx "
            "hoặc CSV UTF-8."
        )
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            decoded = data.decode("utf-16")  # Excel's "Unicode Text": UTF-16, tab-separated
        except UnicodeDecodeError:
            raise _FileError(f"Tệp bị hỏng, không đọc được chữ. {_SAVE_AS_UTF8}") from None
        return _read_csv(decoded), []
    if b"\x00" in data[:4096] or data.startswith(b"%PDF"):
        raise _FileError(
            f"Tệp “{filename}” không phải bảng tính CSV hay Excel (.xlsx). {_SAVE_AS_UTF8}"
        )
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _FileError(
            f"Tệp không phải mã UTF-8 (chữ lỗi từ dòng {line}; có thể tệp được lưu bằng "
            f"Windows-1258, ANSI, TCVN3 hoặc VNI). {_SAVE_AS_UTF8}"
        ) from None
    return _read_csv(decoded), []


def _read_csv(decoded: str) -> list[Row]:
    if "\x00" in decoded:
        raise _FileError(f"Tệp chứa ký tự lạ, không phải bảng tính CSV. {_SAVE_AS_UTF8}")
    delimiter = _sniff_delimiter(decoded)
    rows: list[Row] = []
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one cell
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter, strict=True)
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            if not _row_blank(cells):
                rows.append((line, cells))
                if len(rows) > MAX_ROWS + 1:  # the header and one row too many: enough to refuse
                    break
    except csv.Error:
        raise _FileError(
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
        known = sum(_key(cell, "_") in COLUMNS for cell in header)
        score = (known, len(header))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _check_xlsx_archive(data: bytes, filename: str, unreadable: str) -> None:
    """Refuse, before parsing, a workbook that would unpack to far more than it weighs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _FileError(unreadable) from None
    unpacked = sum(part.file_size for part in parts)
    shared = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    too_big = (
        len(parts) > MAX_XLSX_PARTS
        or unpacked > MAX_XLSX_UNPACKED
        or shared > MAX_XLSX_SHARED_STRINGS
        or (unpacked > 4 * 1024 * 1024 and unpacked > MAX_XLSX_RATIO * max(1, len(data)))
    )
    if too_big:
        megabytes = unpacked / (1024 * 1024)
        raise _FileError(
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
    _check_xlsx_archive(data, filename, unreadable)
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            logger.info("unreadable XLSX %r", filename, exc_info=True)
            raise _FileError(unreadable) from None
        try:
            if not workbook.worksheets:
                raise _FileError(unreadable)
            sheet = workbook.worksheets[0]
            if len(workbook.worksheets) > 1:
                notes.append(
                    f"Tệp có {len(workbook.worksheets)} trang tính; chỉ đọc trang đầu tiên "
                    f"“{sheet.title}”."
                )
            sheet.reset_dimensions()  # trust the rows, not the size the file claims
            rows: list[Row] = []
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if line > MAX_XLSX_LINES:
                    notes.append(f"Chỉ đọc {MAX_XLSX_LINES:,} dòng đầu của trang tính.")
                    break
                if not _row_blank(cells):
                    rows.append((line, cells))
                    if len(rows) > MAX_ROWS + 1:
                        break
        except _FileError:
            raise
        except Exception:
            logger.info("broken XLSX %r", filename, exc_info=True)
            raise _FileError(unreadable) from None
        finally:
            workbook.close()
    return rows, notes


# --- Parsing ---------------------------------------------------------------------------------


class _Parser:
    """Turns rows into drafts and problems; caches what repeats (communes, services, text)."""

    def __init__(
        self,
        today: date,
        default_commune: str | None,
        resolve_commune: Callable[[str], str | None],
        province_of: Callable[[str], str | None],
    ) -> None:
        self.today = today
        self.default_commune = default_commune
        self.resolve_commune = resolve_commune
        self.province_of = province_of
        self.communes: dict[str, tuple[str, str] | str] = {}  # cell -> (code, province) | error
        self.services: dict[str, tuple[str, ...] | str] = {}  # cell -> codes | error
        self.masked: dict[str, tuple[str, bool]] = {}  # text -> (masked text, anything found)
        self.us_style: list[int] = []
        self.masked_rows = 0

    def run(self, rows: list[Row], notes: list[str]) -> ParsedImport:
        """`rows` are the non-blank rows; the first one is the header."""
        if not rows:
            raise _FileError("Tệp trống: không có dòng tiêu đề, không có dữ liệu.")
        positions, header_notes = self.header(rows[0][1])
        notes.extend(header_notes)
        drafts: list[FieldLogDraft] = []
        problems: list[RowProblem] = []
        read = 0
        for line, cells in rows[1:]:
            read += 1
            if read > MAX_ROWS:
                raise _FileError(
                    f"Tệp có hơn {_number(MAX_ROWS)} dòng dữ liệu; hãy chia thành nhiều tệp nhỏ."
                )
            draft = self.row(line, cells, positions, problems)
            if draft is not None:
                drafts.append(draft)
        if read == 0:
            raise _FileError("Tệp chỉ có dòng tiêu đề, chưa có dòng dữ liệu nào.")
        notes.extend(self.file_notes(drafts))
        return ParsedImport(drafts, problems, None, notes, read)

    def header(self, cells: Sequence[object]) -> tuple[dict[str, int], list[str]]:
        positions: dict[str, int] = {}
        unused: list[str] = []
        for index, cell in enumerate(cells):
            name = _key(_clean(cell), "_")
            if not name:
                continue
            if name not in COLUMNS:
                unused.append(f"“{_clean(cell)}”")
            elif name in positions:
                raise _FileError(
                    f"Cột “{name}” có hai lần (cột {_column_letter(positions[name])} và cột "
                    f"{_column_letter(index)}); hãy xóa một cột."
                )
            else:
                positions[name] = index
        required = [*REQUIRED, *(["xa_phuong"] if self.default_commune is None else [])]
        missing = [name for name in COLUMNS if name in required and name not in positions]
        if missing:
            found = ", ".join(f"“{_clean(cell)}”" for cell in cells if not _is_blank(cell))
            raise _FileError(
                f"Thiếu cột bắt buộc: {', '.join(missing)}. Dòng tiêu đề đọc được: "
                f"{found or '(trống)'}. Các cột của tệp mẫu: {', '.join(COLUMNS)}."
            )
        notes = []
        if unused:
            notes.append(
                f"Bỏ qua các cột không dùng: {', '.join(unused)} (các cột được đọc: "
                f"{', '.join(COLUMNS)})."
            )
        return positions, notes

    def row(
        self,
        line: int,
        cells: Sequence[object],
        positions: dict[str, int],
        problems: list[RowProblem],
    ) -> FieldLogDraft | None:
        def cell(name: str) -> object:
            index = positions.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        notes_text = _clean(cell("ghi_chu"))
        if notes_text[:2].lower() in ("ví", "vi") and _key(notes_text).startswith(_EXAMPLE_KEY):
            problems.append(
                RowProblem(line, "ghi_chu", "đây là dòng ví dụ của tệp mẫu; hãy xóa dòng này")
            )
            return None
        found: list[RowProblem] = []

        def check(name: str, parse: Callable[[], T]) -> T | None:
            try:
                return parse()
            except _CellError as error:
                found.append(RowProblem(line, name, str(error)))
                return None

        day = check("ngay", lambda: _parse_day(cell("ngay"), self.today, self.us_style, line))
        commune = check("xa_phuong", lambda: self.commune(cell("xa_phuong")))
        services = check("dich_vu", lambda: self.service_codes(cell("dich_vu")))
        citizens = check("so_nguoi", lambda: _parse_citizens(cell("so_nguoi")))
        duration = check(
            "thoi_gian_phut",
            lambda: (
                None
                if _is_blank(cell("thoi_gian_phut"))
                else _parse_int(cell("thoi_gian_phut"), 1, MAX_MINUTES, "90")
            ),
        )
        masked_any = False

        def free_text(column: str, limit: int, what: str) -> str:
            nonlocal masked_any
            value = notes_text if column == "ghi_chu" else _clean(cell(column))
            masked, changed = self.mask(value)
            masked_any = masked_any or changed
            if len(masked) > limit:
                raise _CellError(f"{what} dài {len(masked)} ký tự, tối đa {_number(limit)}")
            return masked

        place = check("dia_diem", lambda: free_text("dia_diem", MAX_PLACE, "địa điểm"))
        name = check(
            "tinh_nguyen_vien",
            lambda: free_text("tinh_nguyen_vien", MAX_NAME, "tên tình nguyện viên"),
        )
        notes = check("ghi_chu", lambda: free_text("ghi_chu", MAX_NOTES, "ghi chú"))
        if found:
            problems.extend(found)
            return None
        assert day is not None
        assert commune is not None
        assert services is not None
        assert citizens is not None
        assert place is not None
        assert name is not None
        assert notes is not None
        self.masked_rows += masked_any
        return FieldLogDraft(
            line=line,
            day=day,
            commune_code=commune[0],
            province_code=commune[1],
            services=services,
            citizens_helped=citizens,
            place=place,
            duration_minutes=duration,
            volunteer_name=name or None,
            notes=notes,
        )

    def commune(self, value: object) -> tuple[str, str]:
        cell = _clean(value)
        cached = self.communes.get(cell)
        if cached is None:
            try:
                cached = self._commune(cell)
            except _CellError as error:
                cached = str(error)
            self.communes[cell] = cached
        if isinstance(cached, str):
            raise _CellError(cached)
        return cached

    def _commune(self, cell: str) -> tuple[str, str]:
        if not cell:
            if self.default_commune is None:
                raise _CellError("thiếu xã/phường")
            code = self.default_commune
        else:
            candidates = [cell]
            if cell.isascii() and cell.isdigit() and len(cell) < 5:
                candidates.append(cell.zfill(5))  # Excel drops the leading zeros of codes
            found = next((c for c in candidates if self.province_of(c) is not None), None)
            if found is None:
                found = self.resolve_commune(cell)
            if found is None:
                raise _CellError(
                    f"không xác định được xã/phường “{cell}” (không có, hoặc trùng tên ở nhiều "
                    "nơi); hãy ghi tên đầy đủ kèm tỉnh/thành phố, hoặc ghi mã xã/phường"
                )
            code = found
        province = self.province_of(code)
        if province is None:
            raise _CellError(f"không xác định được tỉnh/thành phố của xã/phường “{cell or code}”")
        return code, province

    def service_codes(self, value: object) -> tuple[str, ...]:
        cell = _clean(value) if not isinstance(value, str) else value.strip()
        cached = self.services.get(cell)
        if cached is None:
            try:
                cached = _parse_services(cell)
            except _CellError as error:
                cached = str(error)
            self.services[cell] = cached
        if isinstance(cached, str):
            raise _CellError(cached)
        return cached

    def mask(self, value: str) -> tuple[str, bool]:
        if not value:
            return value, False
        cached = self.masked.get(value)
        if cached is None:
            masked = mask(value)
            cached = (" ".join(masked.text.split()), bool(masked.found))
            self.masked[value] = cached
        return cached

    def file_notes(self, drafts: list[FieldLogDraft]) -> list[str]:
        notes: list[str] = []
        if self.us_style:
            notes.append(
                f"Có {_number(len(self.us_style))} dòng ghi tháng trước ngày (ví dụ dòng "
                f"{self.us_style[0]}). Các ngày khác được đọc theo ngày/tháng/năm: 05/10/2025 "
                "là ngày 5 tháng 10. Hãy kiểm tra lại nếu cả tệp ghi theo tháng/ngày."
            )
        if self.masked_rows:
            notes.append(
                f"Đã che thông tin cá nhân (số điện thoại, số định danh, số tài khoản, mã OTP…) "
                f"trong {_number(self.masked_rows)} dòng."
            )
        first_line: dict[str, int] = {}
        repeats: list[tuple[int, int]] = []
        for draft in drafts:
            key = fingerprint(draft)
            if key in first_line:
                repeats.append((draft.line, first_line[key]))
            else:
                first_line[key] = draft.line
        if repeats:
            shown = "; ".join(f"dòng {line} giống dòng {first}" for line, first in repeats[:5])
            more = f" và {_number(len(repeats) - 5)} dòng khác" if len(repeats) > 5 else ""
            notes.append(
                f"Có {_number(len(repeats))} dòng giống hệt một dòng trước ({shown}{more}); "
                "tất cả đều được nhập. Nếu chép nhầm, hãy xóa dòng thừa."
            )
        return notes


def _parse_citizens(value: object) -> int:
    if _is_blank(value):
        raise _CellError("thiếu số người được hỗ trợ")
    return _parse_int(value, 1, MAX_CITIZENS, "12")


def _row_blank(cells: Sequence[object]) -> bool:
    return all(_is_blank(cell) for cell in cells)


def parse_field_logs(
    data: bytes,
    filename: str,
    *,
    today: date,
    default_commune: str | None,
    resolve_commune: Callable[[str], str | None],
    province_of: Callable[[str], str | None],
) -> ParsedImport:
    """Read and check a leader's CSV or XLSX file; never raises on the file's content.

    `default_commune` (a team's commune) fills rows without `xa_phuong` and makes that column
    optional. `resolve_commune` turns a commune name as typed into a code (None when unknown or
    ambiguous); `province_of` gives a commune code's province code (None when not a code).
    """
    if default_commune is not None and province_of(default_commune) is None:
        raise ValueError(f"default commune {default_commune!r} has no province")
    try:
        rows, notes = _read_rows(data, filename)
        parser = _Parser(today, default_commune, resolve_commune, province_of)
        return parser.run(rows, notes)
    except _FileError as error:
        return ParsedImport([], [], str(error))
    except Exception:  # broken bytes must never crash the bot: report and import nothing
        logger.exception("field log import of %r failed", filename)
        return ParsedImport(
            [], [], f"Không đọc được tệp “{filename}”, chưa nhập dòng nào. {_SAVE_AS_UTF8}"
        )


# --- Storing ---------------------------------------------------------------------------------


async def _existing_fingerprints(
    session: AsyncSession, drafts: Sequence[FieldLogDraft], source: str
) -> Counter[str]:
    """How many rows of the same source already exist per fingerprint, on the drafts' days."""
    pairs = {(draft.day, draft.commune_code) for draft in drafts}
    first, last = min(day for day, _ in pairs), max(day for day, _ in pairs)
    communes = sorted({commune for _, commune in pairs})
    counts: Counter[str] = Counter()
    for chunk in _chunks(communes, QUERY_CHUNK):
        query = select(
            FieldLogRow.day,
            FieldLogRow.commune_code,
            FieldLogRow.place,
            FieldLogRow.services,
            FieldLogRow.citizens_helped,
            FieldLogRow.volunteer_name,
            FieldLogRow.notes,
        ).where(
            FieldLogRow.source == source,
            FieldLogRow.day >= first,
            FieldLogRow.day <= last,
            FieldLogRow.commune_code.in_(chunk),
        )
        for day, commune, place, services, citizens, name, notes in await session.execute(query):
            if (day, commune) in pairs:
                counts[_fingerprint(day, commune, place, services, citizens, name, notes)] += 1
    return counts


async def store_field_logs(
    session: AsyncSession,
    drafts: Sequence[FieldLogDraft],
    *,
    team_id: int | None,
    source: str = "import",
    created_by: int | None,
    now: datetime | None = None,
) -> StoreResult:
    """Insert the drafts not imported before, in chunks; record who imported; never commits.

    A row counts as already imported when a row of the same `source` has the same fingerprint
    (see `fingerprint`); identical rows are counted, so a file with two identical rows imported
    twice still has two rows. `created_by` (a person id) goes to the audit log.
    """
    if not drafts:
        return StoreResult(0, 0)
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # Two imports of the same file at once must not both find "nothing imported yet".
        await session.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    existing = await _existing_fingerprints(session, drafts, source)
    values: list[dict[str, object]] = []
    duplicate_lines: list[int] = []
    for draft in drafts:
        key = fingerprint(draft)
        if existing[key] > 0:
            existing[key] -= 1
            duplicate_lines.append(draft.line)
            continue
        values.append(
            {
                "day": draft.day,
                "commune_code": draft.commune_code,
                "province_code": draft.province_code,
                "team_id": team_id,
                "volunteer_id": draft.volunteer_id,
                "volunteer_name": draft.volunteer_name,
                "place": draft.place,
                "services": list(draft.services),
                "citizens_helped": draft.citizens_helped,
                "duration_minutes": draft.duration_minutes,
                "notes": draft.notes,
                "source": source,
                "created_at": now,
            }
        )
    table = cast(Table, FieldLogRow.__table__)  # Core executemany: far faster than ORM bulk
    for chunk in _chunks(values, INSERT_CHUNK):
        await session.execute(insert(table), list(chunk))
    session.add(
        AuditRow(
            action=AUDIT_ACTION,
            at=now,
            actor_id=created_by,
            target=f"team:{team_id}" if team_id is not None else None,
            detail={
                "inserted": len(values),
                "duplicates": len(duplicate_lines),
                "source": source,
            },
        )
    )
    await session.flush()
    return StoreResult(len(values), len(duplicate_lines), tuple(duplicate_lines))


# --- What the leader reads ---------------------------------------------------------------------


def _lines_text(lines: Sequence[int], limit: int = SUMMARY_PROBLEMS) -> str:
    shown = ", ".join(str(line) for line in lines[:limit])
    if len(lines) > limit:
        shown += f" và {_number(len(lines) - limit)} dòng khác"
    return shown


def format_import_summary(
    parsed: ParsedImport, stored: StoreResult | None, filename: str | None = None
) -> str:
    """The leader's report: what was imported, what was skipped and why, what to fix.

    `stored` is None for a dry run (checked, nothing stored). `filename`, when given, is named
    first: a leader importing several files sees which one each problem belongs to.
    """
    named = f" “{filename}”" if filename else ""
    if parsed.file_error is not None:
        return f"Không nhập được tệp{named}, chưa có dòng nào được nhập.\n{parsed.file_error}"
    rejected = parsed.rejected
    if stored is None:
        head = (
            f"Đã kiểm tra {_number(parsed.read)} dòng: {_number(len(parsed.rows))} dòng hợp lệ, "
            f"{_number(rejected)} dòng lỗi. Chưa nhập dòng nào."
        )
    else:
        parts = [f"Đã nhập {_number(stored.inserted)} dòng"]
        if stored.duplicates:
            parts.append(f"bỏ qua {_number(stored.duplicates)} dòng đã nhập từ trước")
        if rejected:
            parts.append(f"bỏ qua {_number(rejected)} dòng lỗi")
        head = ", ".join(parts) + "."
    out = [f"Tệp{named}:", head] if named else [head]
    if parsed.problems:
        out.append("Các lỗi cần sửa:")
        out.extend(
            f"- dòng {problem.line} ({problem.field}): {problem.message}"
            for problem in parsed.problems[:SUMMARY_PROBLEMS]
        )
        if len(parsed.problems) > SUMMARY_PROBLEMS:
            out.append(f"… và {_number(len(parsed.problems) - SUMMARY_PROBLEMS)} lỗi khác.")
        out.append(
            "Sửa các dòng lỗi rồi gửi lại cả tệp: những dòng đã nhập sẽ không bị nhập lần nữa."
        )
    if stored is not None and stored.duplicates:
        out.append(f"Dòng đã nhập từ trước: {_lines_text(stored.duplicate_lines)}.")
    out.extend(f"Lưu ý: {note}" for note in parsed.warnings)
    return "\n".join(out)


# --- The template ----------------------------------------------------------------------------

TEMPLATE_HEADER: Final = (
    "Ngày",
    "Xã/Phường",
    "Địa điểm",
    "Dịch vụ",
    "Số người",
    "Thời gian (phút)",
    "Tình nguyện viên",
    "Ghi chú",
)
TEMPLATE_ROWS: Final = (
    (
        "05/10/2025",
        "Phường Ba Đình",
        "Nhà văn hóa tổ dân phố 5",
        "Kích hoạt tài khoản VNeID; Nộp hồ sơ dịch vụ công trực tuyến",
        "12",
        "120",
        "Nguyễn Văn An",
        _EXAMPLE_NOTE,
    ),
    (
        "12/10/2025",
        "",
        "Đến từng nhà, thôn Đông",
        "vneid_activation; cashless_setup",
        "3",
        "",
        "Trần Thị Bình",
        f"{_EXAMPLE_NOTE}. Xã/Phường để trống: dùng xã/phường của tổ",
    ),
)


def template_csv() -> str:
    """A sample file: the header and two example rows (which the import refuses to store)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()


def template_csv_bytes() -> bytes:
    """The template as Excel opens it with Vietnamese letters intact: UTF-8 with a BOM."""
    return template_csv().encode("utf-8-sig")
