"""`trolyso zalo authorize`: give the bot its Official Account tokens, once, with an OA admin.

    trolyso zalo authorize --redirect-uri https://example.gov.vn/zalo/callback

The command prints the consent URL; an OA admin opens it and approves; the browser lands on
the redirect URI (the page itself may show an error, that does not matter); the operator
pastes that address back. The tokens go straight into the database and are never printed.
Running it again after a refused renewal puts the channel back to work.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta, timezone
from typing import TYPE_CHECKING, TextIO

import httpx

from bot.channels.zalo_oa.client import OAClient, ZaloError
from bot.channels.zalo_oa.oauth import OAuthError, PkceSession, parse_pasted_code
from bot.channels.zalo_oa.tokens import TokenKeeper
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["run_zalo"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
VIETNAM = timezone(timedelta(hours=7), "ICT")


async def _no_alert(reason: str) -> None:
    """The operator is at the keyboard: failures are printed, nobody else is alerted."""


async def run_zalo(
    args: argparse.Namespace,
    settings: Settings,
    services: Services,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """Run a `trolyso zalo` subcommand; returns the exit status."""
    out = stdout or sys.stdout
    source = stdin or sys.stdin
    if getattr(args, "zalo_command", None) != "authorize":
        out.write(
            "Lệnh zalo chưa hỗ trợ việc này. Dùng: trolyso zalo authorize --redirect-uri URL\n"
        )
        return EXIT_USAGE
    app_id = settings.zalo_app_id.strip()
    app_secret = Settings.secret(settings.zalo_app_secret)
    if not app_id or not app_secret:
        out.write(
            "Chưa cấu hình ứng dụng Zalo. Anh/chị đặt ZALO_APP_ID và ZALO_APP_SECRET "
            "(trong tệp .env hoặc biến môi trường) rồi chạy lại lệnh.\n"
        )
        return EXIT_USAGE
    redirect_uri = str(getattr(args, "redirect_uri", "") or "").strip()
    if not redirect_uri.startswith(("https://", "http://")):
        out.write("Địa chỉ --redirect-uri phải bắt đầu bằng https:// (đúng như đã đăng ký).\n")
        return EXIT_USAGE

    consent = PkceSession.new()
    out.write(
        "Cấp quyền cho bot gửi tin qua Zalo Official Account.\n\n"
        "1. Quản trị viên của OA mở đường dẫn sau trên trình duyệt và bấm đồng ý:\n\n"
        f"   {consent.url(app_id, redirect_uri)}\n\n"
        "2. Trình duyệt sẽ chuyển tới địa chỉ bắt đầu bằng "
        f"{redirect_uri} (trang đó báo lỗi cũng không sao).\n"
        "3. Sao chép toàn bộ địa chỉ trên thanh địa chỉ và dán vào đây, rồi nhấn Enter.\n"
        "   Mã cấp quyền chỉ dùng được trong khoảng 10 phút.\n\n"
        "Địa chỉ hoặc mã cấp quyền: "
    )
    out.flush()
    pasted = await asyncio.to_thread(source.readline)
    try:
        code = parse_pasted_code(pasted, consent.state)
    except OAuthError as error:
        out.write(f"\n{error}\n")
        return EXIT_ERROR

    client = OAClient(app_id, app_secret, transport=transport)
    try:
        try:
            grant = await client.exchange_code(code, consent.verifier)
        except ZaloError as error:
            out.write(
                "\nZalo không cấp mã truy cập "
                f"({error.reason}). Anh/chị chạy lại lệnh và dán địa chỉ ngay sau khi "
                "đồng ý; mỗi mã cấp quyền chỉ dùng được một lần.\n"
            )
            return EXIT_ERROR
        bot = services.bot
        keeper = TokenKeeper(bot.sessions, client, bot.clock, _no_alert)
        expires_at = await keeper.store(grant)
    finally:
        await client.aclose()
    out.write(
        "\nĐã lưu quyền gửi tin Zalo OA. Bot sẽ tự gia hạn trước khi hết hạn "
        f"(lần này đến {expires_at.astimezone(VIETNAM):%H:%M ngày %d/%m/%Y}, giờ Việt Nam). "
        "Các tin nhắn đang chờ sẽ lần lượt được gửi lại.\n"
    )
    return EXIT_OK
