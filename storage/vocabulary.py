"""The closed vocabularies stored in the database, with the Vietnamese label people read.

Stored values are short English codes (stable for reports and migrations); labels are what
citizens, volunteers and the province read, so they live next to the codes.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "EVENT_KINDS",
    "MODES",
    "OUTCOMES",
    "REQUEST_STATUSES",
    "ROLES",
    "ROLE_RANK",
    "SERVICES",
    "TOPICS",
    "EventKind",
    "Outcome",
    "RequestStatus",
    "Role",
]

Role = Literal["citizen", "volunteer", "leader", "operator"]
ROLES: Final[dict[str, str]] = {
    "citizen": "Người dân",
    "volunteer": "Tình nguyện viên",
    "leader": "Tổ trưởng",
    "operator": "Quản trị viên",
}
# A higher role may do everything a lower one may.
ROLE_RANK: Final[dict[str, int]] = {"citizen": 0, "volunteer": 1, "leader": 2, "operator": 3}

# What a citizen asks help with; a volunteer's skills are a subset of these.
TOPICS: Final[dict[str, str]] = {
    "vneid": "VNeID, định danh điện tử",
    "public_services": "Dịch vụ công trực tuyến",
    "cashless_payment": "Thanh toán không dùng tiền mặt",
    "digital_skills": "Kỹ năng số, dùng điện thoại",
    "other": "Việc khác",
}

# How the citizen wants to be helped.
MODES: Final[dict[str, str]] = {
    "chat": "Nhắn tin tại đây",
    "phone": "Gọi điện thoại",
    "in_person": "Gặp trực tiếp",
}

RequestStatus = Literal["open", "active", "closed", "cancelled", "unclaimed"]
REQUEST_STATUSES: Final[dict[str, str]] = {
    "open": "Đang chờ nhận",
    "active": "Đang hỗ trợ",
    "closed": "Đã kết thúc",
    "cancelled": "Người dân đã hủy",
    "unclaimed": "Không có người nhận",
}

Outcome = Literal["resolved", "partly", "unresolved", "referred"]
OUTCOMES: Final[dict[str, str]] = {
    "resolved": "Đã giải quyết",
    "partly": "Giải quyết một phần",
    "unresolved": "Chưa giải quyết được",
    "referred": "Chuyển Bộ phận một cửa xã/phường",
}

# The services helped with (a request's outcome and a field log are multi-choice of these).
SERVICES: Final[dict[str, str]] = {
    "vneid_activation": "Kích hoạt tài khoản VNeID",
    "vneid_other": "Tiện ích khác trên VNeID",
    "dvc_submission": "Nộp hồ sơ dịch vụ công trực tuyến",
    "dvc_account": "Tài khoản Cổng Dịch vụ công",
    "cashless_setup": "Cài ứng dụng ngân hàng, ví điện tử",
    "cashless_use": "Thanh toán QR, chuyển khoản",
    "scam_advice": "Phòng chống lừa đảo trực tuyến",
    "digital_skills": "Kỹ năng dùng điện thoại, Internet",
    "other": "Việc khác",
}

EventKind = Literal[
    "created",  # the citizen finished the intake
    "notified",  # volunteers were told (detail: count)
    "escalated",  # nobody claimed in time: the team leader was told
    "unclaimed",  # still nobody: the citizen was told honestly
    "claimed",  # a volunteer took it
    "released",  # the volunteer handed it back to the queue
    "transferred",  # the volunteer handed it to another volunteer (detail: to)
    "cancelled",  # the citizen cancelled
    "ended",  # citizen or volunteer ended the session (detail: by)
    "idle_closed",  # nobody wrote for too long
    "outcome",  # the volunteer recorded the outcome (detail: outcome, services)
    "rated",  # the citizen rated the help (detail: rating)
    "reopened",  # nobody came, the citizen asked for a call-back: back in the queue
]
EVENT_KINDS: Final[tuple[str, ...]] = (
    "created",
    "notified",
    "escalated",
    "unclaimed",
    "claimed",
    "released",
    "transferred",
    "cancelled",
    "ended",
    "idle_closed",
    "outcome",
    "rated",
    "reopened",
    "official_answer",  # a volunteer sent an FAQ answer as the official one (/gui)
)
