"""One cell's value: a day, a whole number, services. Each parser returns it or raises a
`CellProblem` whose message (Vietnamese) says what is wrong and how to write it.

Pure functions of the cell; `parsing` calls them for each row and collects the problems.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Final

from bot.features.fieldlogs import limits
from bot.features.fieldlogs.cells import clean, day_text, is_blank, key, number
from storage.vocabulary import SERVICES

__all__ = ["CellProblem", "parse_citizens", "parse_day", "parse_int", "parse_services"]

_EXCEL_EPOCH: Final = date(1899, 12, 30)
_TIME: Final = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY: Final = re.compile(rf"(\d{{1,2}})([/.\-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}")
_YMD: Final = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}")
_DIGITS: Final = re.compile(r"[0-9]{1,9}")
_SERVICE_SPLIT: Final = re.compile(r"[;\n]")


class CellProblem(Exception):
    """One cell's problem; the message is Vietnamese, for the leader."""


def _service_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, label in SERVICES.items():
        index[key(code)] = code
        index[key(label)] = code
    return index


_SERVICE_INDEX: Final = _service_index()
_ACCEPTED_SERVICES: Final = "; ".join(f"{code} ({label})" for code, label in SERVICES.items())


def parse_services(cell: str) -> tuple[str, ...]:
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
                code = _SERVICE_INDEX.get(key(",".join(parts[start:end])))
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
        raise CellProblem(
            f"không rõ dịch vụ {names}. Ghi mã hoặc tên dịch vụ, cách nhau bằng dấu chấm phẩy: "
            f"{_ACCEPTED_SERVICES}"
        )
    if not codes:
        raise CellProblem("chưa ghi dịch vụ; nếu không rõ, ghi “Việc khác”")
    return tuple(codes)


def parse_day(value: object, today: date, us_style: list[int], line: int) -> date:
    """A day from the first one to `today`: typed as Vietnamese write it, or an Excel date.

    A row whose month looks typed before its day adds `line` to `us_style`, so the leader is
    warned that the file's other dates may be misread too.
    """
    if is_blank(value):
        raise CellProblem("thiếu ngày")
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2_958_466:  # an Excel serial day number: 45935 is 5/10/2025
            raise CellProblem(f"“{clean(value)}” không phải ngày; ghi dạng ngày/tháng/năm")
        day = _EXCEL_EPOCH + timedelta(days=int(value))
    else:
        day = _parse_day_text(clean(value), us_style, line)
    if day > today:
        raise CellProblem(f"ngày {day_text(day)} ở tương lai (hôm nay là {day_text(today)})")
    if day < limits.FIRST_DAY:
        first = day_text(limits.FIRST_DAY)
        raise CellProblem(
            f"ngày {day_text(day)} trước {first}, ngày các xã/phường mới bắt "
            "đầu hoạt động; nhật ký trước ngày này không nhập được"
        )
    return day


def _parse_day_text(cell: str, us_style: list[int], line: int) -> date:
    dmy = _DMY.fullmatch(cell)
    ymd = None if dmy else _YMD.fullmatch(cell)
    if dmy is None and ymd is None:
        raise CellProblem(f"“{cell}” không phải ngày; ghi dạng ngày/tháng/năm, ví dụ 05/10/2025")
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
        raise CellProblem(
            f"“{cell}”: không có tháng {month_n}; có vẻ tháng được ghi trước ngày. "
            "Hãy ghi ngày/tháng/năm, ví dụ 05/10/2025"
        ) from None
    raise CellProblem(f"ngày “{cell}” không có thật") from None


def parse_int(value: object, low: int, high: int, example: str) -> int:
    """A whole number from `low` to `high`, typed or as Excel stores it (1.0 is 1)."""
    found: int | None = None
    if isinstance(value, bool):
        found = None
    elif isinstance(value, int):
        found = value
    elif isinstance(value, float):
        found = int(value) if value.is_integer() else None
    else:
        cell = clean(value)
        found = int(cell) if _DIGITS.fullmatch(cell) else None
    if found is None:
        raise CellProblem(
            f"“{clean(value)}” không phải số nguyên; ghi một số từ {low} đến {high}, "
            f"ví dụ {example}"
        )
    if not low <= found <= high:
        raise CellProblem(f"{found} ngoài khoảng cho phép, phải từ {low} đến {number(high)}")
    return found


def parse_citizens(value: object) -> int:
    """Citizens helped: required, from 1 to the shared limit."""
    if is_blank(value):
        raise CellProblem("thiếu số người được hỗ trợ")
    return parse_int(value, 1, limits.MAX_CITIZENS, "12")
