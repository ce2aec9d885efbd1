"""`trolyso zalobot`: webhook set-up, status and long polling for the Zalo Bot platform.

    trolyso zalobot set-webhook https://<host>/zalobot/webhook   (uses ZALO_BOT_WEBHOOK_SECRET)
    trolyso zalobot delete-webhook
    trolyso zalobot info
    trolyso zalobot poll                                          (local runs; Ctrl+C stops)

Webhook and polling exclude each other on this platform: `poll` refuses while a webhook is
registered instead of silently removing the one production uses. Messages are Vietnamese
(the commune's operator reads them); the token is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING, TextIO

import httpx

from bot.channels.zalo_bot.client import (
    SECRET_MAX_CHARS,
    SECRET_MIN_CHARS,
    ZaloBotClient,
    ZaloBotError,
)
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["run_zalobot"]

EXIT_OK, EXIT_ERROR = 0, 1
PROG = "trolyso zalobot"


async def run_zalobot(
    args: argparse.Namespace,
    settings: Settings,
    services: Services | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run one `zalobot` action; `services` (a migrated database) is needed only by `poll`."""
    command: str = args.zalobot_command
    token = Settings.secret(settings.zalo_bot_token)
    if not token:
        err.write(
            f"{PROG}: chưa đặt ZALO_BOT_TOKEN. Tạo bot trong ứng dụng Zalo (Zalo Bot Manager "
            "→ Tạo bot) rồi đặt mã bot nhận được vào biến môi trường này.\n"
        )
        return EXIT_ERROR
    secret = Settings.secret(settings.zalo_bot_webhook_secret)
    if command == "set-webhook" and not SECRET_MIN_CHARS <= len(secret) <= SECRET_MAX_CHARS:
        state = "chưa được đặt" if not secret else f"dài {len(secret)} ký tự"
        err.write(
            f"{PROG} set-webhook: ZALO_BOT_WEBHOOK_SECRET {state}; cần từ {SECRET_MIN_CHARS} "
            f"đến {SECRET_MAX_CHARS} ký tự (nên dùng một chuỗi ngẫu nhiên dài).\n"
        )
        return EXIT_ERROR
    if command == "set-webhook" and not str(args.url).startswith("https://"):
        err.write(f"{PROG} set-webhook: địa chỉ webhook phải bắt đầu bằng https://\n")
        return EXIT_ERROR
    if command == "poll" and services is None:
        raise ValueError("`zalobot poll` needs the composed services")
    client = ZaloBotClient(token, base_url=settings.zalo_bot_api_base, transport=transport)
    try:
        if command == "set-webhook":
            await client.set_webhook(args.url, secret)
            out.write(f"Đã đăng ký webhook: {args.url}\n")
        elif command == "delete-webhook":
            await client.delete_webhook()
            out.write(f"Đã gỡ webhook; giờ có thể chạy `{PROG} poll`.\n")
        elif command == "info":
            me = await client.get_me()
            hook = await client.get_webhook_info()
            out.write(
                f"bot: {me.account_name or '-'} (id {me.id or '-'}, {me.account_type or '-'})\n"
                f"webhook: {hook.url or '(chưa đặt: dùng polling)'}\n"
                f"cập nhật lúc: {hook.updated_at or '-'}\n"
            )
        else:
            assert services is not None
            return await _poll(client, settings, services, out, err)
    except ZaloBotError as error:
        err.write(f"{PROG} {command}: nền tảng Zalo Bot báo lỗi ({error}).\n")
        return EXIT_ERROR
    finally:
        await client.aclose()
    return EXIT_OK


async def _poll(
    client: ZaloBotClient, settings: Settings, services: Services, out: TextIO, err: TextIO
) -> int:
    from bot.channels.zalo_bot.runtime import ZaloBotRuntime

    hook = await client.get_webhook_info()
    if hook.url:
        err.write(
            f"{PROG} poll: bot đang nhận tin qua webhook ({hook.url}), nên không thể chạy "
            f"polling. Nếu đây là máy thử, hãy gỡ webhook bằng `{PROG} delete-webhook` trước.\n"
        )
        return EXIT_ERROR
    runtime = ZaloBotRuntime(
        services.bot, client, Settings.secret(settings.zalo_bot_webhook_secret)
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    out.write("Đang nhận tin Zalo Bot bằng polling; nhấn Ctrl+C để dừng.\n")
    out.flush()
    await runtime.start()
    try:
        await runtime.run_polling(stop)
    finally:
        await runtime.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
    out.write("Đã dừng.\n")
    return EXIT_OK
