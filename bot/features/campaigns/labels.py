"""How campaigns read in Vietnamese: statuses, reasons, the dry run and the summary."""

from __future__ import annotations

from storage.campaigns import Audience, Summary

__all__ = ["CHANNELS", "REASONS", "STATUSES", "describe_audience", "describe_summary"]

CHANNELS = {
    "telegram": "Telegram",
    "zalo": "Zalo OA",
    "zalobot": "Zalo Bot",
    "console": "Máy tính",
}
STATUSES = {
    "draft": "bản nháp",
    "sending": "đang gửi",
    "paused": "tạm dừng",
    "done": "đã gửi xong",
    "cancelled": "đã hủy",
}
REASONS = {
    "zalo_window": "Zalo OA: người nhận im lặng quá 7 ngày",
    "unsubscribed": "đã ngừng nhận tin",
    "interrupted": "bị ngắt giữa chừng (có thể đã tới)",
    "blocked": "đã chặn bot",
    "window": "ngoài thời hạn trả lời của nền tảng",
    "quota": "hết hạn mức gửi",
    "no_chat": "không còn kênh liên lạc",
    "unknown": "lỗi không rõ (có thể đã tới)",
    "other": "lỗi khác",
}


def describe_audience(label: str, audience: Audience) -> str:
    """What a dry run prints: per channel, who would receive it, who cannot be reached."""
    lines = [f"Thử (không gửi): {label}, {audience.total} người đăng ký nhận tin."]
    for channel in sorted(audience.reachable.keys() | audience.unreachable.keys()):
        name = CHANNELS.get(channel, channel)
        line = f"- {name}: {audience.reachable.get(channel, 0)} người sẽ nhận"
        if channel in audience.unreachable:
            line += (
                f", {audience.unreachable[channel]} người không gửi được (Zalo OA chỉ cho "
                "nhắn trong 7 ngày kể từ tin cuối của người dân; sẽ bỏ qua, không dùng tin "
                "trả phí)"
            )
        lines.append(line)
    return "\n".join(lines)


def describe_summary(campaign_id: int, status: str, summary: Summary) -> str:
    """The delivery summary: sent, failed by reason, skipped, still waiting."""
    lines = [
        f"Chiến dịch #{campaign_id} ({STATUSES.get(status, status)}): {summary.total} người nhận",
        f"- Đã gửi: {summary.sent}",
        f"- Đang chờ gửi: {summary.pending}",
    ]
    for title, counts in (("Không gửi được", summary.failed), ("Bỏ qua", summary.skipped)):
        for reason, number in sorted(counts.items()):
            lines.append(f"- {title} ({REASONS.get(reason, reason)}): {number}")
    if summary.cancelled:
        lines.append(f"- Đã hủy trước khi gửi: {summary.cancelled}")
    return "\n".join(lines)
