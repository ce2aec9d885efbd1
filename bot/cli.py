"""The `trolyso` command: chat, match, eval and content tools.

Every subcommand builds its Settings once and composes what it needs; nothing happens at import.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.channels.cli import add_channel_parsers, add_zalo_parsers, run_telegram, run_zalo_command
from bot.features.campaigns.cli import add_broadcast_parser, run_broadcast
from bot.features.console.cli import add_console_parser, run_console_command
from bot.features.content_files.cli import add_content_file_parsers, run_content_files
from bot.features.fieldlogs.cli import add_fieldlog_parser, run_fieldlog
from bot.features.reports.cli import add_report_parser
from bot.logs import configure_logging
from bot.messages import Reply
from bot.settings import Settings
from bot.web.cli import add_process_parsers, run_serve, run_worker
from intents import MatchResult

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
DEMO_FOLDER = "demo"  # `trolyso demo` fills DATA_DIR/demo/trolyso.db; `--demo` uses it


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trolyso", description="Trợ lý số: a Vietnamese assistant for digital transformation."
    )
    parser.add_argument(
        "--content-dir", type=Path, help="content folder (default: the shipped one)"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the demo's own database, the one `trolyso demo` fills "
        f"(a SQLite file in DATA_DIR/{DEMO_FOLDER}), whatever DATABASE_URL says",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "run",
        help="start the bot: Telegram long polling when TELEGRAM_BOT_TOKEN is set, "
        "otherwise the chat in this terminal (what `make run` does)",
    )
    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--as", dest="user", default="console", help="the user id to chat as")

    sub.add_parser(
        "match",
        help="read messages from stdin, one per line; write one JSON result per line",
    )

    evaluate = sub.add_parser("eval", help="measure matching on a labelled JSONL set")
    evaluate.add_argument("path", nargs="?", type=Path, default=None, help="JSONL evaluation set")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--errors", type=int, default=25, help="how many errors to list")

    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the database schema")

    add_fieldlog_parser(sub)

    sub.add_parser("purge", help="apply the retention period to stored messages")

    add_report_parser(sub)
    add_broadcast_parser(sub)
    add_process_parsers(sub)
    add_console_parser(sub)
    add_channel_parsers(sub)
    add_zalo_parsers(sub)

    demo = sub.add_parser("demo", help="fill a fresh, empty database with a marked demo (Gia Lai)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    demo.add_argument(
        "--reset",
        action="store_true",
        help="delete the demo's own database first and fill it again",
    )

    content = sub.add_parser("content", help="operator tools for the content folder")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="validate content and report colliding examples")
    content_sub.add_parser("ids", help="print every intent id, one per line")
    content_sub.add_parser(
        "index",
        help="build the matcher's index (normalized examples, perceptron) into the content "
        "folder, so that a fresh installation starts quickly",
    )
    add_content_file_parsers(content_sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if args.content_dir is not None:
        settings = settings.model_copy(update={"content_dir": args.content_dir})
    if args.demo or args.command == "demo":
        settings = demo_settings(settings)
    return settings


def demo_settings(settings: Settings) -> Settings:
    """The demo's own data folder and SQLite file: a demo never touches the real database."""
    folder = Path(settings.data_dir) / DEMO_FOLDER
    return settings.model_copy(update={"data_dir": folder, "database_url": None})


def _cmd_chat(settings: Settings, user: str) -> int:
    from bot.channels.console import ConsoleChannel
    from bot.services import prepare
    from bot.worker import Worker

    services = prepare(settings)  # `make run` on a fresh machine just works

    async def poll() -> list[Reply]:
        deliveries = await services.bot.take_outgoing("console", user)
        return [d.reply for d in deliveries]

    async def chat() -> None:
        channel = ConsoleChannel(
            services.bot,
            sys.stdin,
            sys.stdout,
            user_id=user,
            poll=poll,
            files_dir=settings.data_dir / "exports",
        )
        # The console has no outbox to flush (it takes its messages itself): the worker
        # runs the timers (a request nobody claimed, an idle session) as in any process.
        worker = Worker(services.bot)
        worker.start()
        try:
            await channel.run()
        finally:
            await worker.stop()
            await services.aclose()

    try:
        asyncio.run(chat())
    except KeyboardInterrupt:
        print("\nTạm biệt anh/chị!")
    return EXIT_OK


def _cmd_purge(settings: Settings) -> int:
    from bot.services import prepare

    services = prepare(settings)

    async def run() -> dict[str, int]:
        try:
            return await services.bot.purge()
        finally:
            await services.aclose()

    counts = asyncio.run(run())
    print(
        f"Purged {counts['messages']} relayed messages, {counts['notifications']} sent "
        f"notifications, {counts['descriptions']} request descriptions older than "
        f"{settings.retention_days} days; {counts['update_ids']} old update ids."
    )
    return EXIT_OK


def _cmd_demo(settings: Settings, seed: int, reset: bool = False) -> int:
    from bot.demo import VIETNAM, DemoError, database_is_empty, render_summary, seed_demo
    from bot.services import compose
    from storage.migrate import upgrade

    database = Path(settings.data_dir) / "trolyso.db"
    if reset:  # only the demo's own folder: `settings` is demo_settings(...) here
        for path in (database, *database.parent.glob("trolyso.db-*")):
            path.unlink(missing_ok=True)
    upgrade(settings.resolved_database_url())  # the emptiness check needs the tables
    services = compose(settings)  # the month is played through the bot itself

    async def run() -> int:
        try:
            async with services.bot.sessions() as session:
                empty = await database_is_empty(session)
            if not empty:
                print(
                    f"trolyso demo: cơ sở dữ liệu demo {database} đã có dữ liệu. Dữ liệu DEMO "
                    "chỉ được tạo trên cơ sở dữ liệu mới, trống. Dùng nó với "
                    "`trolyso --demo chat --as demo-lan`, hoặc tạo lại từ đầu với "
                    "`trolyso demo --reset`.",
                    file=sys.stderr,
                )
                return EXIT_ERROR
            now = datetime.now(UTC)
            today = now.astimezone(VIETNAM).date()
            try:
                summary = await seed_demo(services.bot, today=today, seed=seed, now=now)
            except DemoError as exc:
                print(f"trolyso demo: {exc}", file=sys.stderr)
                return EXIT_ERROR
        finally:
            await services.aclose()
        print(f"Cơ sở dữ liệu demo (riêng, không đụng dữ liệu thật): {database}")
        print(render_summary(summary))
        return EXIT_OK

    return asyncio.run(run())


def _cmd_db(settings: Settings) -> int:
    from storage.migrate import upgrade

    upgrade(settings.resolved_database_url())
    print("Database schema is up to date.")
    return EXIT_OK


def _match_fields(result: MatchResult) -> dict[str, object]:
    fields: dict[str, object] = {
        "intent": result.intent,
        "score": round(result.score, 4),
        "action": result.action,
    }
    if result.action == "clarify":
        fields["choices"] = [c.intent for c in result.choices]
    fields["alternatives"] = [
        {"intent": c.intent, "score": round(c.score, 4)} for c in result.alternatives
    ]
    return fields


def _match_line(text: str, result: MatchResult) -> str:
    """One JSON line: the decision (`action`, `choices`), the ranking, a second question."""
    line: dict[str, object] = {"text": text, **_match_fields(result)}
    if result.also is not None:
        line["also"] = _match_fields(result.also)
    return json.dumps(line, ensure_ascii=False)


def _cmd_match(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    from bot.matching import build_matcher
    from content import load_content
    from content.published import with_published

    # The published version the workers answer with, from the data folder: no database.
    content = with_published(
        load_content(settings.content_dir, settings.cache_dir), settings.data_dir
    )
    matcher = build_matcher(content, settings.cache_dir)
    for raw in stdin:
        text = raw.rstrip("\r\n")
        stdout.write(_match_line(text, matcher.match(text)) + "\n")
        stdout.flush()
    return EXIT_OK


def _cmd_eval(settings: Settings, path: Path | None, output: str, errors: int) -> int:
    from bot.matching import build_matcher, default_eval_set
    from content import load_content
    from content.published import with_published
    from intents.evaluation import evaluate, load_cases, render_text

    path = path or default_eval_set()
    if not path.exists():
        print(f"trolyso eval: no evaluation set at {path}", file=sys.stderr)
        return EXIT_USAGE
    content = with_published(load_content(settings.content_dir), settings.data_dir)
    report = evaluate(build_matcher(content, settings.cache_dir), load_cases(path))
    if output == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(report, show_errors=errors))
    return EXIT_OK


def _cmd_content(settings: Settings, command: str) -> int:
    from content import ContentError, load_content
    from content.checks import (
        find_collisions,
        find_overdue_reviews,
        find_unknown_local_blocks,
    )
    from content.published import with_published

    try:
        content = load_content(settings.content_dir, settings.cache_dir)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        errors = sum(1 for p in exc.problems if p.severity == "error")
        print(f"{errors} error(s); the bot will not start with this content.", file=sys.stderr)
        return EXIT_ERROR
    if command == "ids":
        for intent_id in sorted(content.intents):
            print(intent_id)
        return EXIT_OK
    if command == "index":  # the shipped index is of the shipped content, never an overlay
        from bot.matching import SHIPPED_INDEX, write_index

        target = Path(settings.content_dir) / SHIPPED_INDEX
        version = write_index(content, target)
        print(f"Wrote {target} (content version {version}).")
        return EXIT_OK
    content = with_published(content, settings.data_dir)  # what the workers answer with
    from bot.matching import example_keys

    today = datetime.now(UTC).date()
    problems = [
        *content.warnings,
        *find_collisions(content, normalized=example_keys(content, settings.cache_dir)),
        *find_overdue_reviews(content, today),
        *find_unknown_local_blocks(content),
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    examples = sum(len(i.examples) for i in content.intents.values())
    print(
        f"{len(content.intents)} intents, {examples} examples: "
        f"{errors} error(s), {warnings} warning(s)."
    )
    return EXIT_ERROR if errors else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `trolyso` console script."""
    args = _parser().parse_args(argv)
    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format, key=settings.log_hash_key())
    # Citizens' messages arrive on stdin; read them leniently so junk bytes cannot crash us.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")
    if args.command == "run":
        if Settings.secret(settings.telegram_bot_token):
            return run_telegram(settings, argparse.Namespace(telegram_command="poll"))
        return _cmd_chat(settings, "console")
    if args.command == "chat":
        return _cmd_chat(settings, args.user)
    if args.command == "match":
        return _cmd_match(settings, sys.stdin, sys.stdout)
    if args.command == "eval":
        return _cmd_eval(settings, args.path, args.format, args.errors)
    if args.command == "db":
        return _cmd_db(settings)
    if args.command == "fieldlog":
        return run_fieldlog(settings, args)
    if args.command == "purge":
        return _cmd_purge(settings)
    if args.command == "demo":
        return _cmd_demo(settings, args.seed, args.reset)
    if args.command == "report":
        from bot.features.reports.cli import report_command

        return report_command(settings, args)
    if args.command == "broadcast":
        return run_broadcast(settings, args)
    if args.command == "console":
        return run_console_command(settings, args)
    if args.command == "serve":
        return run_serve(settings, args)
    if args.command == "worker":
        return run_worker(settings)
    if args.command == "telegram":
        return run_telegram(settings, args)
    if args.command in ("zalo", "zalobot"):
        return run_zalo_command(settings, args)
    if args.content_command in ("export", "import"):
        return run_content_files(settings, args)
    return _cmd_content(settings, args.content_command)


if __name__ == "__main__":
    sys.exit(main())
