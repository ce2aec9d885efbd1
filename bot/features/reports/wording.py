"""The words and number styles every rendering of a report shares.

Everything a commune officer reads is Vietnamese, with labels from `storage.vocabulary`:
dates as 30/06/2025, whole numbers with a dot between thousands (100.000), decimals with a
comma (7,5), times in Vietnam time. A report holds no contact data, so neither does any text
built here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date

from bot.features.reports.model import Report
from storage.report_queries import VIETNAM

__all__ = [
    "ALL",
    "NOTES",
    "NO_NAME",
    "NO_OUTCOME",
    "TITLE",
    "TOTAL",
    "Value",
    "demo_text",
    "float_vn",
    "generated_text",
    "headline",
    "int_vn",
    "label",
    "period_text",
    "scope",
    "scope_text",
    "text_width",
]

Value = int | float | str | None

TITLE = "BÁO CÁO HOẠT ĐỘNG HỖ TRỢ CHUYỂN ĐỔI SỐ CỦA TÌNH NGUYỆN VIÊN"
TOTAL = "Tổng cộng"
NO_NAME = "(không ghi tên)"
NO_OUTCOME = "Chưa ghi kết quả"
ALL = "Tất cả"
NOTES = (
    "Ngày tính theo giờ Việt Nam (UTC+7); yêu cầu tính theo ngày tạo, "
    "nhật ký trực tiếp theo ngày hỗ trợ.",
    "Thời gian chờ: từ lúc người dân gửi yêu cầu đến lúc tình nguyện viên đầu tiên nhận. "
    "Thời gian hỗ trợ: từ lúc nhận đến lúc kết thúc phiên.",
    "Trung vị: một nửa số phiên không quá giá trị này. "
    "P90: 90% số phiên không quá giá trị này (nội suy tuyến tính).",
)


def int_vn(n: int) -> str:
    """A whole number with a dot between thousands: 100.000."""
    return f"{n:,}".replace(",", ".")


def float_vn(x: float) -> str:
    """One decimal, with a decimal comma and thousands dots: 1.234,5."""
    return f"{x:,.1f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def text_width(text: str) -> int:
    """Columns a string takes on a terminal (combining marks take none)."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def period_text(report: Report) -> str:
    """The period, as 01/06/2025 – 30/06/2025."""
    return f"{_day(report.filter.start)} – {_day(report.filter.end)}"


def generated_text(report: Report) -> str:
    """When the report was made, in Vietnam time."""
    return report.generated_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam)"


def _named(name: str | None, code: str, word: str) -> str:
    return f"{name} ({word} {code})" if name else f"{word} {code}"


def scope(report: Report) -> list[tuple[str, str]]:
    """(label, value) for the province, commune and team the report covers."""
    f = report.filter
    province = (
        ALL if f.province_code is None else _named(report.province_name, f.province_code, "mã")
    )
    commune = ALL if f.commune_code is None else _named(report.commune_name, f.commune_code, "mã")
    team = ALL if f.team_id is None else _named(report.team_name, str(f.team_id), "số")
    return [("Tỉnh/thành phố", province), ("Xã/phường/đặc khu", commune), ("Tổ", team)]


def scope_text(report: Report) -> str:
    """The scope on one line, naming only what was chosen."""
    parts = [f"{name}: {value}" for name, value in scope(report) if value != ALL]
    return "; ".join(parts) if parts else "Phạm vi: tất cả"


def demo_text(report: Report) -> str:
    """How many demo rows the figures hold, in words."""
    if not report.demo_rows:
        return "không có bản ghi DEMO"
    return (
        f"gồm {int_vn(report.demo_rows)} bản ghi DEMO "
        f"({int_vn(report.demo_requests)} yêu cầu hỗ trợ, "
        f"{int_vn(report.demo_field_logs)} nhật ký hỗ trợ trực tiếp)"
    )


def label(vocabulary: Mapping[str, str], code: str) -> str:
    """The Vietnamese label of a stored code (the code itself when unknown)."""
    return vocabulary.get(code, code)


def headline(report: Report) -> list[tuple[str, Value]]:
    """The overview figures, in reading order."""
    return [
        ("Tổng số yêu cầu hỗ trợ", report.requests_total),
        ("Người dân được hỗ trợ qua tin nhắn", report.citizens.chat),
        ("Người dân được hỗ trợ trực tiếp", report.citizens.field),
        ("Tổng số người dân được hỗ trợ", report.citizens.total),
        ("Số nhật ký hỗ trợ trực tiếp", report.field_logs_total),
        ("Thời gian chờ nhận, trung vị (phút)", report.wait.median_minutes),
        ("Thời gian hỗ trợ, trung vị (phút)", report.handling.median_minutes),
        ("Số lượt đánh giá", report.ratings.count),
        ("Điểm đánh giá trung bình (1–5 sao)", report.ratings.mean),
    ]
