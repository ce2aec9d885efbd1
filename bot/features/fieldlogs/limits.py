"""Every bound on a field log, in one place: the chat form and the file import share them.

A log typed in the chat (/ghinhan) and a row of a leader's spreadsheet end up in the same
`field_logs` table and the same reports, so they accept the same values: the same first day,
the same number of citizens, the same duration, the same text lengths. The text lengths are the
columns' (storage/models.py `FieldLogRow`; a test keeps them in step). The file limits protect
the bot from a file that is too big to check at once; content/FIELD_LOGS.md documents them.

Modules read these through the module (`limits.MAX_ROWS`), so a test can lower one.
"""

from __future__ import annotations

from datetime import date
from typing import Final

__all__ = [
    "FIRST_DAY",
    "MAX_CITIZENS",
    "MAX_MINUTES",
    "MAX_NAME",
    "MAX_NOTES",
    "MAX_PLACE",
    "MAX_ROWS",
    "MAX_UPLOAD",
    "MAX_XLSX_LINES",
    "MAX_XLSX_PARTS",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_SHARED_STRINGS",
    "MAX_XLSX_UNPACKED",
]

# --- What one log may say ---------------------------------------------------------------------

FIRST_DAY: Final = date(2025, 7, 1)  # the new two-level administrative units start here
MAX_CITIZENS: Final = 1000  # citizens helped in one session
MAX_MINUTES: Final = 1440  # a session's duration: at most a day
MAX_PLACE: Final = 200  # the lengths of the field_logs columns
MAX_NAME: Final = 80
MAX_NOTES: Final = 1000

# --- How big a file may be --------------------------------------------------------------------

MAX_ROWS: Final = 200_000  # data rows of one file
MAX_UPLOAD: Final = 10 * 1024 * 1024  # bytes of a file sent from the console's upload form
# An XLSX file is a zip: its parts are checked before anything is parsed, so a small file that
# unpacks to gigabytes (millions of empty rows, one huge shared string) is refused at once.
MAX_XLSX_UNPACKED: Final = 64 * 1024 * 1024  # all parts together
MAX_XLSX_SHARED_STRINGS: Final = 16 * 1024 * 1024
MAX_XLSX_PARTS: Final = 500
MAX_XLSX_RATIO: Final = 100  # unpacked / packed, beyond a few megabytes
MAX_XLSX_LINES: Final = MAX_ROWS * 2  # rows read, blank ones included
