"""Checking a field-log file's rows: numbered cells in, good rows and precise problems out.

Every data row becomes either a `FieldLogDraft` or one or more `RowProblem`s naming the row
(as the spreadsheet numbers it), the column and what to write instead. A problem with the
header (a required column missing, a column twice) or with the whole file (no data, too many
rows) is a `FileProblem`: nothing of such a file is kept. Free text is masked (phone numbers,
id numbers...) before it is kept, and the leader is told.

Only `CellProblem` and `FileProblem` are caught here, on purpose: any other exception is a bug
in this code, and it propagates (see `pipeline`) instead of being blamed on the leader's file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final, TypeVar

from bot.features.fieldlogs import limits
from bot.features.fieldlogs.cells import (
    COLUMNS,
    REQUIRED,
    clean,
    column_letter,
    is_blank,
    key,
    number,
)
from bot.features.fieldlogs.reading import FileProblem, Row
from bot.features.fieldlogs.values import (
    CellProblem,
    parse_citizens,
    parse_day,
    parse_int,
    parse_services,
)
from storage.fieldlogs import FieldLogDraft, fingerprint
from storage.masking import mask

__all__ = ["ParsedImport", "Parser", "RowProblem", "parse_rows"]

# The template's example rows say EXAMPLE_NOTE; its start alone still marks a shortened note.
_EXAMPLE_KEY: Final = "vi du xoa dong nay"

T = TypeVar("T")


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


class Parser:
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
            raise FileProblem("Tệp trống: không có dòng tiêu đề, không có dữ liệu.")
        positions, header_notes = self.header(rows[0][1])
        notes.extend(header_notes)
        drafts: list[FieldLogDraft] = []
        problems: list[RowProblem] = []
        read = 0
        for line, cells in rows[1:]:
            read += 1
            if read > limits.MAX_ROWS:
                most = number(limits.MAX_ROWS)
                raise FileProblem(f"Tệp có hơn {most} dòng dữ liệu; hãy chia thành nhiều tệp nhỏ.")
            draft = self.row(line, cells, positions, problems)
            if draft is not None:
                drafts.append(draft)
        if read == 0:
            raise FileProblem("Tệp chỉ có dòng tiêu đề, chưa có dòng dữ liệu nào.")
        notes.extend(self.file_notes(drafts))
        return ParsedImport(drafts, problems, None, notes, read)

    def header(self, cells: Sequence[object]) -> tuple[dict[str, int], list[str]]:
        positions: dict[str, int] = {}
        unused: list[str] = []
        for index, cell in enumerate(cells):
            name = key(clean(cell), "_")
            if not name:
                continue
            if name not in COLUMNS:
                unused.append(f"“{clean(cell)}”")
            elif name in positions:
                raise FileProblem(
                    f"Cột “{name}” có hai lần (cột {column_letter(positions[name])} và cột "
                    f"{column_letter(index)}); hãy xóa một cột."
                )
            else:
                positions[name] = index
        required = [*REQUIRED, *(["xa_phuong"] if self.default_commune is None else [])]
        missing = [name for name in COLUMNS if name in required and name not in positions]
        if missing:
            found = ", ".join(f"“{clean(cell)}”" for cell in cells if not is_blank(cell))
            raise FileProblem(
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

        notes_text = clean(cell("ghi_chu"))
        if notes_text[:2].lower() in ("ví", "vi") and key(notes_text).startswith(_EXAMPLE_KEY):
            problems.append(
                RowProblem(line, "ghi_chu", "đây là dòng ví dụ của tệp mẫu; hãy xóa dòng này")
            )
            return None
        found: list[RowProblem] = []

        def check(name: str, parse: Callable[[], T]) -> T | None:
            try:
                return parse()
            except CellProblem as error:
                found.append(RowProblem(line, name, str(error)))
                return None

        day = check("ngay", lambda: parse_day(cell("ngay"), self.today, self.us_style, line))
        commune = check("xa_phuong", lambda: self.commune(cell("xa_phuong")))
        services = check("dich_vu", lambda: self.service_codes(cell("dich_vu")))
        citizens = check("so_nguoi", lambda: parse_citizens(cell("so_nguoi")))
        duration = check(
            "thoi_gian_phut",
            lambda: (
                None
                if is_blank(cell("thoi_gian_phut"))
                else parse_int(cell("thoi_gian_phut"), 1, limits.MAX_MINUTES, "90")
            ),
        )
        masked_any = False

        def free_text(column: str, limit: int, what: str) -> str:
            nonlocal masked_any
            value = notes_text if column == "ghi_chu" else clean(cell(column))
            masked, changed = self.mask(value)
            masked_any = masked_any or changed
            if len(masked) > limit:
                raise CellProblem(f"{what} dài {len(masked)} ký tự, tối đa {number(limit)}")
            return masked

        place = check("dia_diem", lambda: free_text("dia_diem", limits.MAX_PLACE, "địa điểm"))
        name = check(
            "tinh_nguyen_vien",
            lambda: free_text("tinh_nguyen_vien", limits.MAX_NAME, "tên tình nguyện viên"),
        )
        notes = check("ghi_chu", lambda: free_text("ghi_chu", limits.MAX_NOTES, "ghi chú"))
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
        """(commune code, province code) of a cell; a file repeats its communes."""
        return _once(self.communes, clean(value), self._commune)

    def _commune(self, cell: str) -> tuple[str, str]:
        if not cell:
            if self.default_commune is None:
                raise CellProblem("thiếu xã/phường")
            code = self.default_commune
        else:
            candidates = [cell]
            if cell.isascii() and cell.isdigit() and len(cell) < 5:
                candidates.append(cell.zfill(5))  # Excel drops the leading zeros of codes
            found = next((c for c in candidates if self.province_of(c) is not None), None)
            if found is None:
                found = self.resolve_commune(cell)
            if found is None:
                raise CellProblem(
                    f"không xác định được xã/phường “{cell}” (không có, hoặc trùng tên ở nhiều "
                    "nơi); hãy ghi tên đầy đủ kèm tỉnh/thành phố, hoặc ghi mã xã/phường"
                )
            code = found
        province = self.province_of(code)
        if province is None:
            raise CellProblem(f"không xác định được tỉnh/thành phố của xã/phường “{cell or code}”")
        return code, province

    def service_codes(self, value: object) -> tuple[str, ...]:
        """The service codes of a cell; a file repeats its few combinations."""
        cell = clean(value) if not isinstance(value, str) else value.strip()
        return _once(self.services, cell, parse_services)

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
                f"Có {number(len(self.us_style))} dòng ghi tháng trước ngày (ví dụ dòng "
                f"{self.us_style[0]}). Các ngày khác được đọc theo ngày/tháng/năm: 05/10/2025 "
                "là ngày 5 tháng 10. Hãy kiểm tra lại nếu cả tệp ghi theo tháng/ngày."
            )
        if self.masked_rows:
            notes.append(
                f"Đã che thông tin cá nhân (số điện thoại, số định danh, số tài khoản, mã OTP…) "
                f"trong {number(self.masked_rows)} dòng."
            )
        first_line: dict[str, int] = {}
        repeats: list[tuple[int, int]] = []
        for draft in drafts:
            identity = fingerprint(draft)
            if identity in first_line:
                repeats.append((draft.line, first_line[identity]))
            else:
                first_line[identity] = draft.line
        if repeats:
            shown = "; ".join(f"dòng {line} giống dòng {first}" for line, first in repeats[:5])
            more = f" và {number(len(repeats) - 5)} dòng khác" if len(repeats) > 5 else ""
            notes.append(
                f"Có {number(len(repeats))} dòng giống hệt một dòng trước ({shown}{more}); "
                "tất cả đều được nhập. Nếu chép nhầm, hãy xóa dòng thừa."
            )
        return notes


def _once(cache: dict[str, T | str], cell: str, parse: Callable[[str], T]) -> T:
    """`parse(cell)`, or its `CellProblem`, computed once per distinct cell (kept as text)."""
    found = cache.get(cell)
    if found is None:
        try:
            found = parse(cell)
        except CellProblem as problem:
            found = str(problem)
        cache[cell] = found
    if isinstance(found, str):
        raise CellProblem(found)
    return found


def parse_rows(
    rows: list[Row],
    notes: list[str],
    *,
    today: date,
    default_commune: str | None,
    resolve_commune: Callable[[str], str | None],
    province_of: Callable[[str], str | None],
) -> ParsedImport:
    """Check the rows `reading` found (the first one is the header); see `Parser`.

    Raises `FileProblem` for a problem with the whole file; any other exception is a bug.
    """
    return Parser(today, default_commune, resolve_commune, province_of).run(rows, notes)
