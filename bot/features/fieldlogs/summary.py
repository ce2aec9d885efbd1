"""What the leader reads after an import: what was stored, what was skipped, what to fix.

Vietnamese, short enough for a chat message: at most `SUMMARY_PROBLEMS` problems are listed,
then "… và N lỗi khác". A failure on our side (a bug, not the file) has its own text, so a
leader is never told to fix a file that was fine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.features.fieldlogs.cells import number
from bot.features.fieldlogs.parsing import ParsedImport
from storage.fieldlogs import StoreResult

__all__ = ["SUMMARY_PROBLEMS", "format_import_summary", "format_internal_error"]

SUMMARY_PROBLEMS: Final = 20


def format_internal_error(filename: str | None = None) -> str:
    """The leader's text when the import failed on our side: the file is not blamed."""
    named = f" “{filename}”" if filename else ""
    return (
        f"Xin lỗi anh/chị, hệ thống gặp trục trặc khi đọc tệp{named} nên chưa nhập dòng nào. "
        "Lỗi ở phía chúng tôi, không phải do tệp của anh/chị. Anh/chị vui lòng thử lại sau "
        "ít phút; nếu vẫn không được, xin báo cho cán bộ vận hành."
    )


def _lines_text(lines: Sequence[int], limit: int = SUMMARY_PROBLEMS) -> str:
    shown = ", ".join(str(line) for line in lines[:limit])
    if len(lines) > limit:
        shown += f" và {number(len(lines) - limit)} dòng khác"
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
            f"Đã kiểm tra {number(parsed.read)} dòng: {number(len(parsed.rows))} dòng hợp lệ, "
            f"{number(rejected)} dòng lỗi. Chưa nhập dòng nào."
        )
    else:
        parts = [f"Đã nhập {number(stored.inserted)} dòng"]
        if stored.duplicates:
            parts.append(f"bỏ qua {number(stored.duplicates)} dòng đã nhập từ trước")
        if rejected:
            parts.append(f"bỏ qua {number(rejected)} dòng lỗi")
        head = ", ".join(parts) + "."
    out = [f"Tệp{named}:", head] if named else [head]
    if parsed.problems:
        out.append("Các lỗi cần sửa:")
        out.extend(
            f"- dòng {problem.line} ({problem.field}): {problem.message}"
            for problem in parsed.problems[:SUMMARY_PROBLEMS]
        )
        if len(parsed.problems) > SUMMARY_PROBLEMS:
            out.append(f"… và {number(len(parsed.problems) - SUMMARY_PROBLEMS)} lỗi khác.")
        out.append(
            "Sửa các dòng lỗi rồi gửi lại cả tệp: những dòng đã nhập sẽ không bị nhập lần nữa."
        )
    if stored is not None and stored.duplicates:
        out.append(f"Dòng đã nhập từ trước: {_lines_text(stored.duplicate_lines)}.")
    out.extend(f"Lưu ý: {note}" for note in parsed.warnings)
    return "\n".join(out)
