"""`trolyso telegram` (polling and webhook set-up) and the Zalo commands.

`trolyso serve` and `trolyso worker` are the web package's (bot/web/cli.py). Argument parsing
is defined here for every channel command, and the commands themselves are imported only when
run, so building the `trolyso` parser imports no HTTP or database code (`trolyso match` starts
without them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TextIO

from bot.settings import Settings

__all__ = [
    "add_channel_parsers",
    "add_zalo_parser",
    "add_zalo_parsers",
    "add_zalobot_parser",
    "run_telegram",
    "run_zalo_command",
]

EXIT_OK, EXIT_ERROR = 0, 1


def add_channel_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    telegram = sub.add_parser("telegram", help="Telegram: long polling and webhook set-up")
    telegram_sub = telegram.add_subparsers(dest="telegram_command")
    telegram_sub.add_parser("poll", help="run the bot with long polling (the default)")
    hook = telegram_sub.add_parser("set-webhook", help="register the webhook URL")
    hook.add_argument("url", help="https://<host>/telegram/webhook")
    hook.add_argument(
        "--drop-pending", action="store_true", help="forget updates waiting at Telegram"
    )
    telegram_sub.add_parser("delete-webhook", help="remove the webhook (to poll again)")
    telegram_sub.add_parser("info", help="show the webhook status Telegram reports")


def run_telegram(
    settings: Settings,
    args: argparse.Namespace,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    token = Settings.secret(settings.telegram_bot_token)
    if not token:
        err.write(
            "trolyso telegram: set TELEGRAM_BOT_TOKEN (create a bot with @BotFather first)\n"
        )
        return EXIT_ERROR
    command = args.telegram_command or "poll"
    from bot.services import prepare

    services = prepare(settings)
    return asyncio.run(_telegram(settings, services, token, command, args, out, err))


async def _telegram(  # type: ignore[no-untyped-def]
    settings: Settings, services, token: str, command: str, args, out: TextIO, err: TextIO
) -> int:
    from bot.channels.telegram.polling import run_polling
    from bot.channels.telegram.runtime import TelegramRuntime
    from bot.worker import Worker

    secret = Settings.secret(settings.telegram_webhook_secret)
    runtime = TelegramRuntime(services.bot, token, secret, polling=command == "poll")
    try:
        if command == "poll":
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, stop.set)
            await run_polling(runtime, Worker(services.bot, [runtime]), stop)
            return EXIT_OK
        await runtime.application.initialize()
        try:
            telegram = runtime.application.bot
            if command == "set-webhook":
                try:
                    await runtime.set_webhook(args.url, drop_pending=args.drop_pending)
                except ValueError as error:
                    err.write(f"trolyso telegram set-webhook: {error}\n")
                    return EXIT_ERROR
                out.write(f"Webhook set: {args.url}\n")
            elif command == "delete-webhook":
                await telegram.delete_webhook()
                out.write("Webhook removed; `trolyso telegram` can poll now.\n")
            else:
                info = await telegram.get_webhook_info()
                out.write(
                    f"url: {info.url or '(none: polling)'}\n"
                    f"pending updates: {info.pending_update_count}\n"
                    f"allowed updates: {', '.join(info.allowed_updates or ()) or '(default)'}\n"
                    f"last error: {info.last_error_message or '-'}\n"
                )
        finally:
            await runtime.application.shutdown()
        return EXIT_OK
    finally:
        await services.aclose()


def add_zalo_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`trolyso zalo` (Official Account) and `trolyso zalobot` (the Zalo Bot platform)."""
    add_zalo_parser(sub)
    add_zalobot_parser(sub)


def add_zalo_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `zalo authorize --redirect-uri URL` to the `trolyso` command."""
    zalo = subparsers.add_parser("zalo", help="Zalo Official Account tools")
    zalo_sub = zalo.add_subparsers(dest="zalo_command", required=True)
    authorize = zalo_sub.add_parser(
        "authorize", help="let an OA admin grant the bot access (OAuth v4 with PKCE)"
    )
    authorize.add_argument(
        "--redirect-uri",
        required=True,
        help="the callback URL registered for the Zalo app (exactly as registered)",
    )


def add_zalobot_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `zalobot` subcommand; its action lands in `args.zalobot_command`."""
    zalobot = subparsers.add_parser(
        "zalobot", help="Zalo Bot platform: webhook set-up, status and long polling"
    )
    sub = zalobot.add_subparsers(dest="zalobot_command", required=True)
    hook = sub.add_parser(
        "set-webhook", help="register the webhook URL with ZALO_BOT_WEBHOOK_SECRET"
    )
    hook.add_argument("url", help="https://<host>/zalobot/webhook")
    sub.add_parser("delete-webhook", help="remove the webhook (to poll instead)")
    sub.add_parser("info", help="show the bot and its webhook as the platform reports them")
    sub.add_parser("poll", help="run the bot with long polling (local runs and pilots)")


def run_zalo_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.zalo_bot.cli import run_zalobot
    from bot.channels.zalo_oa.cli import run_zalo
    from bot.services import prepare

    services = prepare(settings)

    async def run() -> int:
        try:
            if args.command == "zalobot":
                return await run_zalobot(args, settings, services)
            return await run_zalo(args, settings, services)
        finally:
            await services.aclose()

    return asyncio.run(run())
