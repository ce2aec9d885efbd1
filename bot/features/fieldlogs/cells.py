"""The documented columns of a field-log file, and how a cell reads as text.

Shared by reading (which needs the column names to tell ',' from ';'), parsing and the summary.
The layout is documented in content/FIELD_LOGS.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Final

from intents.normalize import tokenize

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "clean",
    "column_letter",
    "day_text",
    "is_blank",
    "key",
    "number",
    "row_blank",
]

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

_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def number(n: int) -> str:
    """A count as Vietnamese write it: 100.000."""
    return f"{n:,}".replace(",", ".")


def key(text: str, joiner: str = " ") -> str:
    """Lowercase ASCII words without marks: 'Xã/Phường' -> 'xa phuong'."""
    return joiner.join(token.text for token in tokenize(text))


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def is_blank(value: object) -> bool:
    """An empty cell: nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def row_blank(cells: Sequence[object]) -> bool:
    """A row with nothing in it, skipped wherever it is."""
    return all(is_blank(cell) for cell in cells)


def clean(value: object) -> str:
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


def day_text(day: date) -> str:
    """A day as Vietnamese write it: 05/10/2025."""
    return day.strftime("%d/%m/%Y")
