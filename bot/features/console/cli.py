"""`trolyso console login-link --as HANDLE`: a sign-in link printed in the terminal.

For the first operator (before anyone can send /dangnhap) and for the demo's people. HANDLE
is a person's code (shown by /toi), or a "channel:id" listed in TROLYSO_OPERATORS: that
person is created if the bot has never seen them, and made an operator as the chat would on
their first message. Light at import: the parser only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.settings import Settings

__all__ = ["add_console_parser", "run_console_command"]

LOCAL_URL = "http://127.0.0.1:8080"
EXIT_OK, EXIT_ERROR = 0, 1


def add_console_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = sub.add_parser("console", help="the web console under /admin")
    console_sub = console.add_subparsers(dest="console_command", required=True)
    link = console_sub.add_parser(
        "login-link", help="print a one-time sign-in link (10 minutes) for a leader or operator"
    )
    link.add_argument(
        "--as", dest="handle", required=True, help="a person's code, or channel:id of an operator"
    )
    link.add_argument(
        "--base-url", default="", help=f"default: TROLYSO_PUBLIC_URL, else {LOCAL_URL}"
    )


async def _link(settings: Settings, handle: str, base_url: str, err: TextIO) -> str | None:
    from bot.features.console.links import can_use_console, issue_link
    from bot.support.common import Turn
    from storage import create_engine, session_factory

    engine = create_engine(settings.resolved_database_url())
    try:
        async with session_factory(engine).begin() as session:
            turn = Turn.open(session, datetime.now(UTC))
            person = await turn.people.by_handle(handle)
            if person is None and handle in settings.operator_ids:
                channel, _, external_id = handle.partition(":")
                person = await turn.people.resolve(channel, external_id, turn.now)
                if person.role != "operator":
                    old = person.role
                    await turn.people.set_role(person, "operator")
                    await turn.audit.record(
                        "role_change",
                        turn.now,
                        None,
                        person.handle,
                        old=old,
                        new="operator",
                        by="config",
                    )
            if person is None:
                err.write(f"trolyso console: nobody has the code {handle!r}\n")
                return None
            if not can_use_console(person):
                err.write(
                    f"trolyso console: {person.handle} is a {person.role}; only team leaders "
                    "and operators may use the console\n"
                )
                return None
            return await issue_link(turn, person, base_url, by="cli")
    finally:
        await engine.dispose()


def run_console_command(
    settings: Settings,
    args: argparse.Namespace,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    from storage.migrate import upgrade

    upgrade(settings.resolved_database_url())
    base_url = args.base_url or settings.public_url or LOCAL_URL
    url = asyncio.run(_link(settings, args.handle.strip(), base_url, err))
    if url is None:
        return EXIT_ERROR
    out.write(url + "\n")
    return EXIT_OK
