"""Cells no spreadsheet reads as a formula (OWASP "CSV injection").

A volunteer named '=HYPERLINK("http://x","click")' must stay text when an officer opens the CSV
or the XLSX in Excel, LibreOffice or Google Sheets. Both exports use this one rule: the CSV
puts OWASP's leading single quote before such text; the XLSX stores it as a text cell with
Excel's quote prefix.
"""

from __future__ import annotations

__all__ = ["FORMULA_STARTS", "looks_like_formula", "safe_text"]

# A text cell starting with one of these is read as a formula (full-width forms included).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program would read this text cell as a formula."""
    return text.startswith(FORMULA_STARTS)


def safe_text(text: str) -> str:
    """Text that no spreadsheet reads as a formula: OWASP's leading single quote when needed."""
    return "'" + text if looks_like_formula(text) else text
