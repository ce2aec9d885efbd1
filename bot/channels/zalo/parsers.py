"""The `trolyso zalo` and `trolyso zalobot` command lines: argument parsing only.

Kept apart from the commands themselves so that building the `trolyso` parser imports no HTTP
or database code (`trolyso match` starts without them).
"""

from __future__ import annotations

import argparse

__all__ = ["add_zalo_parser", "add_zalobot_parser"]


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
