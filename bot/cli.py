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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from bot.channels.cli import (
    add_channel_parsers,
    add_zalo_parsers,
    run_serve,
    run_telegram,
    run_zalo_command,
)
from bot.features.console.cli import add_console_parser, run_console_command
from bot.logs import configure_logging
from bot.messages import Reply
from bot.report_cli import add_report_parser
from bot.settings import Settings
from intents import MatchResult

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _default_eval_set() -> Path:
    return Path(__file__).resolve().parent.parent / "tests" / "data" / "eval_set.jsonl"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trolyso", description="Trợ lý số: a Vietnamese assistant for digital transformation."
    )
    parser.add_argument(
        "--content-dir", type=Path, help="content folder (default: the shipped one)"
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

    fieldlog = sub.add_parser("fieldlog", help="field logs of in-person help")
    fieldlog_sub = fieldlog.add_subparsers(dest="fieldlog_command", required=True)
    importing = fieldlog_sub.add_parser(
        "import", help="import paper logs from a CSV or XLSX file (see content/FIELD_LOGS.md)"
    )
    importing.add_argument("path", type=Path, help="the CSV or XLSX file")
    importing.add_argument("--team", type=int, default=None, help="the team id the logs belong to")
    importing.add_argument("--dry-run", action="store_true", help="check the file, store nothing")
    fieldlog_sub.add_parser("template", help="print a CSV template to start from")

    sub.add_parser("purge", help="apply the retention period to stored messages")

    add_report_parser(sub)
    add_console_parser(sub)
    add_channel_parsers(sub)
    add_zalo_parsers(sub)

    demo = sub.add_parser("demo", help="fill a fresh, empty database with a marked demo (Gia Lai)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")

    content = sub.add_parser("content", help="operator tools for the content folder")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="validate content and report colliding examples")
    content_sub.add_parser("ids", help="print every intent id, one per line")
    content_sub.add_parser(
        "index",
        help="build the matcher's index (normalized examples, perceptron) into the content "
        "folder, so that a fresh installation starts quickly",
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if args.content_dir is not None:
        settings = settings.model_copy(update={"content_dir": args.content_dir})
    return settings


def _cmd_chat(settings: Settings, user: str) -> int:
    from bot.channels.console import ConsoleChannel
    from bot.services import compose
    from storage.migrate import upgrade

    upgrade(settings.resolved_database_url())  # `make run` on a fresh machine just works
    services = compose(settings)

    async def poll() -> list[Reply]:
        await services.bot.run_due_timers()
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
        try:
            await channel.run()
        finally:
            await services.aclose()

    try:
        asyncio.run(chat())
    except KeyboardInterrupt:
        print("\nTạm biệt anh/chị!")
    return EXIT_OK


def _local_today() -> date:
    from bot.support.fieldlog import LOCAL_TIME

    return datetime.now(UTC).astimezone(LOCAL_TIME).date()


def _cmd_fieldlog(settings: Settings, args: argparse.Namespace) -> int:
    from bot.field_import import format_import_summary, parse_field_logs, store_field_logs
    from intents.places import Places
    from storage import create_engine, session_factory
    from storage.migrate import upgrade
    from storage.teams import TeamRepository

    if args.fieldlog_command == "template":
        from bot.field_import import template_csv

        sys.stdout.write(template_csv())
        return EXIT_OK
    path: Path = args.path
    if not path.is_file():
        print(f"trolyso fieldlog import: no file at {path}", file=sys.stderr)
        return EXIT_USAGE
    places = Places.load(provinces=settings.province_list)

    def resolve(text: str) -> str | None:
        match = places.search(text)
        return match.candidates[0].code if match.status == "found" else None

    def province_of(code: str) -> str | None:
        commune = places.commune(code)
        return commune.province_code if commune else None

    url = settings.resolved_database_url()
    upgrade(url)
    data = path.read_bytes()

    async def run() -> int:
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            team = None
            if args.team is not None:
                async with sessions() as session:
                    team = await TeamRepository(session).get(args.team)
                if team is None:
                    print(f"trolyso fieldlog import: no team with id {args.team}", file=sys.stderr)
                    return EXIT_USAGE
            parsed = parse_field_logs(
                data,
                path.name,
                today=_local_today(),
                default_commune=team.commune_code if team else None,
                resolve_commune=resolve,
                province_of=province_of,
            )
            stored = None
            if not args.dry_run and parsed.file_error is None and parsed.rows:
                async with sessions.begin() as session:
                    stored = await store_field_logs(
                        session, parsed.rows, team_id=team.id if team else None, created_by=None
                    )
            print(format_import_summary(parsed, stored, path.name))
            # Refused: the whole file, or every row of it (nothing could be imported).
            refused = parsed.file_error is not None or (parsed.problems and not parsed.rows)
            return EXIT_ERROR if refused else EXIT_OK
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _cmd_purge(settings: Settings) -> int:
    from bot.services import compose
    from storage.migrate import upgrade

    upgrade(settings.resolved_database_url())
    services = compose(settings)

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


def _cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.report_cli import run_report
    from intents.places import Places
    from storage import create_engine, session_factory
    from storage.audit import AuditRepository
    from storage.migrate import upgrade

    url = settings.resolved_database_url()
    upgrade(url)
    places = Places.load(provinces=settings.province_list)

    async def run() -> int:
        engine = create_engine(url)
        try:
            status = await run_report(args, engine, places)
            if status == EXIT_OK:  # exports are audited, whoever runs them
                async with session_factory(engine).begin() as session:
                    await AuditRepository(session).record(
                        "export",
                        datetime.now(UTC),
                        target="report",
                        by="cli",
                        format=args.format,
                        start=args.start.isoformat(),
                        end=args.end.isoformat(),
                    )
            return status
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _cmd_demo(settings: Settings, seed: int) -> int:
    from bot.demo import VIETNAM, DemoError, database_is_empty, render_summary, seed_demo
    from intents.places import Places
    from storage import create_engine, session_factory
    from storage.migrate import upgrade

    url = settings.resolved_database_url()
    upgrade(url)  # the emptiness check needs the tables; a no-op on an up-to-date schema
    places = Places.load(provinces=settings.province_list)

    async def run() -> int:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                if not await database_is_empty(session):
                    print(
                        "trolyso demo: cơ sở dữ liệu đã có dữ liệu (người dùng, yêu cầu hoặc "
                        "nhật ký). Dữ liệu DEMO chỉ được tạo trên cơ sở dữ liệu mới, trống.",
                        file=sys.stderr,
                    )
                    return EXIT_ERROR
                now = datetime.now(UTC)
                today = now.astimezone(VIETNAM).date()
                try:
                    summary = await seed_demo(session, places, today=today, seed=seed, now=now)
                except DemoError as exc:
                    print(f"trolyso demo: {exc}", file=sys.stderr)
                    return EXIT_ERROR
                await session.commit()
        finally:
            await engine.dispose()
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

    content = load_content(settings.content_dir, settings.cache_dir)
    matcher = build_matcher(content, settings.cache_dir)
    for raw in stdin:
        text = raw.rstrip("\r\n")
        stdout.write(_match_line(text, matcher.match(text)) + "\n")
        stdout.flush()
    return EXIT_OK


def _cmd_eval(settings: Settings, path: Path | None, output: str, errors: int) -> int:
    from bot.matching import build_matcher
    from content import load_content
    from intents.evaluation import evaluate, load_cases, render_text

    path = path or _default_eval_set()
    if not path.exists():
        print(f"trolyso eval: no evaluation set at {path}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate(build_matcher(load_content(settings.content_dir)), load_cases(path))
    if output == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(report, show_errors=errors))
    return EXIT_OK


def _cmd_content(settings: Settings, command: str) -> int:
    from content import ContentError, load_content
    from content.checks import find_collisions, find_overdue_reviews

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
    if command == "index":
        from bot.matching import SHIPPED_INDEX, write_index

        target = Path(settings.content_dir) / SHIPPED_INDEX
        version = write_index(content, target)
        print(f"Wrote {target} (content version {version}).")
        return EXIT_OK
    today = datetime.now(UTC).date()
    problems = [
        *content.warnings,
        *find_collisions(content),
        *find_overdue_reviews(content, today),
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
    configure_logging(settings.log_level, settings.log_format)
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
        return _cmd_fieldlog(settings, args)
    if args.command == "purge":
        return _cmd_purge(settings)
    if args.command == "demo":
        return _cmd_demo(settings, args.seed)
    if args.command == "report":
        return _cmd_report(settings, args)
    if args.command == "console":
        return run_console_command(settings, args)
    if args.command == "serve":
        return run_serve(settings, args)
    if args.command == "telegram":
        return run_telegram(settings, args)
    if args.command in ("zalo", "zalobot"):
        return run_zalo_command(settings, args)
    return _cmd_content(settings, args.content_command)


if __name__ == "__main__":
    sys.exit(main())
