"""What `trolyso demo` prints: what the month produced, who to play, what to try first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from storage.vocabulary import ROLES

if TYPE_CHECKING:
    from bot.demo.news import DryRun

__all__ = ["DEMO_MARK", "DemoLogin", "DemoSummary", "render_summary"]

DEMO_MARK = "[DEMO]"


class DemoLogin(NamedTuple):
    """Someone to play from the console: `trolyso chat --as <console_name>`."""

    console_name: str
    role: str  # a storage.vocabulary.ROLES code
    description: str  # Vietnamese


@dataclass(frozen=True)
class DemoSummary:
    """What was seeded, and who to play: what `trolyso demo` prints."""

    province: str  # "Gia Lai"
    communes: tuple[str, ...]  # labels, such as "Xã Ia Grai, Gia Lai"
    people: tuple[DemoLogin, ...]
    requests: int
    field_logs: int
    open_requests: int
    active_requests: int
    first_day: date  # the demo month, local dates (for `trolyso report --from/--to`)
    last_day: date
    help_days_held: int = 0  # issue 15: help days of the month, and coming ones
    help_days_coming: int = 0
    subscribers: int = 0  # citizens who opted in to their commune's news (/nhantin)
    dry_run: DryRun | None = None  # what a leader's campaign dry run shows


def _day(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def render_summary(summary: DemoSummary) -> str:
    """What `trolyso demo` prints: what was made, who to play, and what to try first."""
    width = max(len(p.console_name) for p in summary.people)
    role_width = max(len(ROLES[p.role]) for p in summary.people)
    lines = [
        f"Đã tạo dữ liệu DEMO ở tỉnh {summary.province} (mọi tên đều có đuôi {DEMO_MARK}):",
        f"  • Xã/phường: {'; '.join(summary.communes)}",
        f"  • {summary.requests} yêu cầu hỗ trợ từ {_day(summary.first_day)} đến "
        f"{_day(summary.last_day)} ({summary.open_requests} đang chờ nhận, "
        f"{summary.active_requests} đang hỗ trợ)",
        f"  • {summary.field_logs} buổi hỗ trợ trực tiếp",
        f"  • Lịch hỗ trợ tại chỗ: {summary.help_days_held} buổi đã tổ chức, "
        f"{summary.help_days_coming} buổi sắp tới; thông tin địa phương của từng xã (ví dụ "
        "minh họa)",
        f"  • {summary.subscribers} người dân đăng ký nhận tin của xã mình (/nhantin); chưa gửi "
        "tin nào",
        "",
        "Tài khoản dùng thử (trolyso --demo chat --as TÊN):",
        *(
            f"  {p.console_name:<{width}}  {ROLES[p.role]:<{role_width}}  {p.description}"
            for p in summary.people
        ),
        "",
        "Thử ngay với hai cửa sổ dòng lệnh:",
        "  Cửa sổ 1 (tình nguyện viên): trolyso --demo chat --as demo-lan",
        "    gõ /truc bat để bật trực, /hangdoi để xem yêu cầu đang chờ, "
        'gõ số của nút "Tôi nhận giúp" để nhận.',
        "  Cửa sổ 2 (người dân): trolyso --demo chat --as demo-nguoidan",
        '    gõ "tôi cần người giúp", chọn việc, gõ "xã Ia Grai, Gia Lai" rồi làm theo',
        "    hướng dẫn; cửa sổ 1 sẽ nhận được thông báo có người cần giúp.",
        "  Nhắn qua lại giữa hai cửa sổ; gõ /ketthuc khi xong, rồi ghi kết quả và chấm điểm.",
        "  Người dân tìm buổi hỗ trợ sắp tới: ở cửa sổ 2 gõ /sukien (hoặc hỏi "
        '"tổ công nghệ số ở đâu") rồi bấm "Nhắc tôi".',
        *_campaign_lines(summary.dry_run),
        "",
        "Báo cáo của cả tháng:",
        f"  trolyso --demo report --from {summary.first_day.isoformat()} "
        f"--to {summary.last_day.isoformat()} --province '{summary.province}' --format table",
        "",
        "Không còn hẹn giờ hay tin nhắn nào chờ gửi: khởi động bot không làm phiền ai; các yêu "
        "cầu đang chờ/đang hỗ trợ giữ nguyên cho tới khi có người xử lý.",
    ]
    return "\n".join(lines)


def _campaign_lines(dry_run: DryRun | None) -> list[str]:
    """How a leader tries a campaign message without sending it, and what it would reach."""
    if dry_run is None:
        return []
    from bot.features.campaigns.labels import describe_audience
    from storage.campaigns import Audience

    audience = Audience(dry_run.reachable, dry_run.unreachable)
    shown = describe_audience(dry_run.commune, audience).splitlines()
    return [
        "  Tổ trưởng thử gửi tin cho người đăng ký (chạy thử, không gửi cho ai):",
        "    echo 'Thứ Bảy này tổ hỗ trợ cài VNeID tại nhà văn hóa thôn.' > tin.txt",
        f"    trolyso --demo broadcast --province '{dry_run.commune.split(', ')[-1]}' "
        f"--commune '{dry_run.commune_name}' --text-file tin.txt --dry-run "
        f"--as {dry_run.leader_handle}",
        *(f"    {line}" for line in shown),
    ]
