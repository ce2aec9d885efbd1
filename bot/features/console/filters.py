"""Template filters: times in Vietnam time, waiting times, places and codes as people read them."""

from __future__ import annotations

from datetime import datetime, timedelta

from jinja2 import Environment

from bot.support.common import show_ref
from intents.places import Places
from storage.report_queries import VIETNAM
from storage.vocabulary import MODES, OUTCOMES, REQUEST_STATUSES, ROLES, TOPICS

__all__ = ["EVENT_LABELS", "duration", "install", "local_time", "percent"]

EVENT_LABELS = {
    "created": "Người dân gửi yêu cầu",
    "notified": "Đã báo tình nguyện viên",
    "escalated": "Đã báo tổ trưởng",
    "claimed": "Tình nguyện viên nhận",
    "released": "Tình nguyện viên trả lại",
    "transferred": "Chuyển người hỗ trợ",
    "ended": "Kết thúc phiên",
    "idle_closed": "Tự đóng vì không có tin nhắn",
    "outcome": "Ghi kết quả",
    "rated": "Người dân chấm điểm",
    "cancelled": "Người dân hủy",
    "unclaimed": "Không có người nhận",
    "reopened": "Mở lại để gọi lại",
    "official_answer": "Gửi câu trả lời chính thức",
}


AUDIT_LABELS = {
    "console_link": "Cấp liên kết đăng nhập",
    "console_login": "Đăng nhập trang quản trị",
    "console_login_failed": "Đăng nhập không thành công",
    "console_login_locked": "Đăng nhập bị tạm khóa",
    "console_logout": "Đăng xuất",
    "console_denied": "Bị từ chối truy cập",
    "denied": "Bị từ chối lệnh",
    "role_change": "Đổi vai trò",
    "data_deleted": "Người dân xóa dữ liệu",
    "export": "Xuất báo cáo",
    "content_publish": "Xuất bản nội dung",
    "content_revert": "Quay lại phiên bản nội dung",
    "missed_attach": "Thêm câu hỏi chưa hiểu vào chủ đề",
    "content_edit": "Sửa chủ đề trong xưởng nội dung",
    "missed_new_intent": "Tạo chủ đề mới từ câu hỏi chưa hiểu",
    "missed_dismiss": "Bỏ qua câu hỏi chưa hiểu",
    "missed_reopen": "Mở lại câu hỏi chưa hiểu sau khi quay lại phiên bản cũ",
    "invite_created": "Tạo mã mời",
    "invite_revoked": "Thu hồi mã mời",
    "invite_used": "Dùng mã mời",
    "invite_rejected": "Mã mời không dùng được",
    "field_log_import": "Nhập nhật ký hỗ trợ trực tiếp",
}


DETAIL_KEYS = {
    "old": "trước",
    "new": "sau",
    "by": "qua",
    "reason": "lý do",
    "path": "trang",
    "command": "lệnh",
    "format": "định dạng",
    "channel": "kênh",
    "count": "số câu",
    "version": "phiên bản",
    "uses": "số lần dùng",
    "days": "số ngày",
    "team": "tổ",
    "inserted": "đã nhập",
    "duplicates": "trùng",
    "start": "từ",
    "end": "đến",
}
DETAIL_VALUES = {
    "cli": "dòng lệnh",
    "chat": "tin nhắn",
    "config": "cấu hình",
    "csrf": "biểu mẫu không hợp lệ",
    "link": "liên kết không dùng được",
    "console": "trang quản trị",
    "import": "tệp",
    **ROLES,
}


def details(detail: dict[str, object]) -> str:
    """An audit row's details as a short Vietnamese line ("trước: Người dân, sau: ...")."""
    return ", ".join(
        f"{DETAIL_KEYS.get(key, key)}: {DETAIL_VALUES.get(str(value), value)}"
        for key, value in detail.items()
    )


def local_time(value: datetime | None, pattern: str = "%H:%M %d/%m/%Y") -> str:
    """A UTC time as Vietnam reads it."""
    return value.astimezone(VIETNAM).strftime(pattern) if value is not None else "—"


def duration(value: timedelta | float | None) -> str:
    """'45 phút', '3 giờ 20 phút', '2 ngày 4 giờ': a wait as people say it."""
    if value is None:
        return "—"
    minutes = int((value.total_seconds() if isinstance(value, timedelta) else value * 60) // 60)
    if minutes < 1:
        return "dưới 1 phút"
    if minutes < 60:
        return f"{minutes} phút"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    days, hours = divmod(hours, 24)
    return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"


def percent(part: float, whole: float) -> str:
    """'42%' ('—' when there is nothing to divide)."""
    return f"{round(100 * part / whole)}%" if whole else "—"


def ratio(value: float | None) -> str:
    """0.8734 -> '87,3%' (a share of the evaluation set, as Vietnamese writes decimals)."""
    if value is None:
        return "—"
    return f"{100 * value:.1f}%".replace(".", ",")


def number(value: float | None) -> str:
    """12345 -> '12.345' (Vietnamese digit grouping)."""
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", ".")


def install(env: Environment, places: Places) -> None:
    """Register the filters on a template environment."""

    def commune(code: str | None) -> str:
        found = places.commune(code) if code else None
        return found.label if found is not None else (code or "—")

    env.filters.update(
        local_time=local_time,
        duration=duration,
        ratio=ratio,
        number=number,
        commune=commune,
        ref=show_ref,
        status=lambda code: REQUEST_STATUSES.get(code, code),
        topic=lambda code: TOPICS.get(code, code),
        outcome=lambda code: OUTCOMES.get(code, code) if code else "—",
        mode=lambda code: MODES.get(code, code),
        role=lambda code: ROLES.get(code, code),
        event=lambda code: EVENT_LABELS.get(code, code),
    )
    env.filters["action"] = lambda code: AUDIT_LABELS.get(code, code)
    env.filters["details"] = details
    env.globals.update(percent=percent, zip=zip)
