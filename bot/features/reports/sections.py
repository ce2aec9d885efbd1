"""The report's breakdowns, in the one shape every format renders: `Section`.

The table, the CSV and the XLSX all walk `sections(report)`, so a breakdown added here shows
in every format with the same title, labels and order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.features.reports.model import Report
from bot.features.reports.wording import NO_NAME, NO_OUTCOME, Value, label
from storage.report_durations import Durations
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, SERVICES, TOPICS

__all__ = ["Row", "Section", "sections"]

Row = tuple[str | None, str, tuple[Value, ...]]  # (code, label, values)


@dataclass(frozen=True)
class Section:
    """One breakdown, in the shape every format shares: a key column and value columns."""

    sheet: str  # an XLSX sheet name: at most 31 characters
    title: str
    key_header: str
    value_headers: tuple[str, ...]
    rows: tuple[Row, ...]
    total: tuple[Value, ...] | None = None  # a "Tổng cộng" line, if it means something


def _counts(rows: Sequence[tuple[str, int]], vocabulary: Mapping[str, str]) -> tuple[Row, ...]:
    return tuple((code, label(vocabulary, code), (n,)) for code, n in rows)


def _duration(name: str, code: str, d: Durations) -> Row:
    return (code, name, (d.count, d.median_minutes, d.p90_minutes))


def _request_sections(report: Report) -> list[Section]:
    outcomes_total = sum(n for _, n in report.by_outcome) + report.closed_without_outcome
    return [
        Section(
            "Trạng thái",
            "Yêu cầu hỗ trợ theo trạng thái",
            "Trạng thái",
            ("Số yêu cầu",),
            _counts(report.by_status, REQUEST_STATUSES),
            (report.requests_total,),
        ),
        Section(
            "Chủ đề",
            "Yêu cầu hỗ trợ theo chủ đề",
            "Chủ đề",
            ("Số yêu cầu",),
            _counts(report.by_topic, TOPICS),
            (report.requests_total,),
        ),
        Section(
            "Kết quả",
            "Kết quả các phiên hỗ trợ đã kết thúc",
            "Kết quả",
            ("Số phiên",),
            (
                *_counts(report.by_outcome, OUTCOMES),
                (None, NO_OUTCOME, (report.closed_without_outcome,)),
            ),
            (outcomes_total,),
        ),
    ]


def _help_sections(report: Report) -> list[Section]:
    return [
        Section(
            "Người dân được hỗ trợ",
            "Người dân được hỗ trợ",
            "Hình thức",
            ("Số người dân",),
            (
                ("chat", "Qua tin nhắn (phiên đã có người nhận)", (report.citizens.chat,)),
                ("field", "Trực tiếp (theo nhật ký)", (report.citizens.field,)),
            ),
            (report.citizens.total,),
        ),
        Section(
            "Dịch vụ",
            "Dịch vụ đã hỗ trợ",
            "Dịch vụ",
            ("Số phiên qua tin nhắn", "Số nhật ký trực tiếp"),
            tuple(
                (s.code, label(SERVICES, s.code), (s.chat_sessions, s.field_logs))
                for s in report.services
            ),
        ),
        Section(
            "Thời gian",
            "Thời gian chờ và thời gian hỗ trợ (phút)",
            "Chỉ số",
            ("Số phiên", "Trung vị (phút)", "P90 (phút)"),
            (
                _duration("Chờ tình nguyện viên nhận", "wait", report.wait),
                _duration("Thời gian hỗ trợ", "handling", report.handling),
            ),
        ),
        Section(
            "Đánh giá",
            "Đánh giá của người dân",
            "Mức đánh giá",
            ("Số lượt",),
            (
                *((str(s), f"{s} sao", (n,)) for s, n in report.ratings.distribution),
                ("mean", "Điểm trung bình", (report.ratings.mean,)),
            ),
        ),
    ]


def _volunteer_section(report: Report) -> Section:
    return Section(
        "Tình nguyện viên",
        "Hoạt động của từng tình nguyện viên",
        "Tình nguyện viên",
        (
            "Phiên đã nhận",
            "Phiên đã kết thúc",
            "Nhật ký trực tiếp",
            "Người dân được hỗ trợ trực tiếp",
        ),
        tuple(
            (
                None,
                v.name or NO_NAME,
                (v.sessions_claimed, v.sessions_closed, v.field_logs, v.field_citizens),
            )
            for v in report.volunteers
        ),
    )


def sections(report: Report) -> list[Section]:
    """Every breakdown of the report, labelled in Vietnamese, in reading order."""
    days = (
        [_help_day_section(report)] if report.help_days_held or report.help_days_reminded else []
    )
    return [
        *_request_sections(report),
        *_help_sections(report),
        *days,
        _volunteer_section(report),
    ]


def _help_day_section(report: Report) -> Section:
    """Shown when the period had help days (issue 15), so reports without any keep their shape."""
    return Section(
        "Buổi hỗ trợ trực tiếp",
        "Buổi hỗ trợ trực tiếp đã đăng",
        "Chỉ số",
        ("Số lượng",),
        (
            ("held", "Buổi hỗ trợ đã tổ chức (không tính buổi đã hủy)", (report.help_days_held,)),
            ("reminded", "Lượt nhắc lịch đã gửi", (report.help_days_reminded,)),
        ),
    )
