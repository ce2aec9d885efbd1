"""`trolyso fieldlog`: import a leader's paper logs from a file, or print the template.

    trolyso fieldlog import FILE [--team ID] [--dry-run]
    trolyso fieldlog template

The summary is Vietnamese (the leader reads it); usage errors stay English like argparse's.
Exit status: 0 when something could be imported (or checked), 1 when the file was refused
(the whole file, every row of it, or a failure on our side), 2 for a usage error.
Importing this module is cheap (argparse only): the database loads when a command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.features.fieldlogs.pipeline import ImportContext
    from bot.settings import Settings

__all__ = ["add_fieldlog_parser", "run_fieldlog"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_fieldlog_parser(sub: Any) -> None:
    """Add `fieldlog import` and `fieldlog template` to the `trolyso` subcommands."""
    fieldlog = sub.add_parser("fieldlog", help="field logs of in-person help")
    fieldlog_sub = fieldlog.add_subparsers(dest="fieldlog_command", required=True)
    importing = fieldlog_sub.add_parser(
        "import", help="import paper logs from a CSV or XLSX file (see content/FIELD_LOGS.md)"
    )
    importing.add_argument("path", type=Path, help="the CSV or XLSX file")
    importing.add_argument("--team", type=int, default=None, help="the team id the logs belong to")
    importing.add_argument("--dry-run", action="store_true", help="check the file, store nothing")
    fieldlog_sub.add_parser("template", help="print a CSV template to start from")


def _local_today() -> date:
    from bot.features.fieldlogs.form import LOCAL_TIME

    return datetime.now(UTC).astimezone(LOCAL_TIME).date()


def run_fieldlog(settings: Settings, args: argparse.Namespace) -> int:
    """Run `trolyso fieldlog ...`; returns the exit status."""
    if args.fieldlog_command == "template":
        from bot.features.fieldlogs.template import template_csv

        sys.stdout.write(template_csv())
        return EXIT_OK
    from bot.features.fieldlogs.pipeline import ImportContext
    from intents.places import Places
    from storage.migrate import upgrade

    path: Path = args.path
    if not path.is_file():
        sys.stderr.write(f"trolyso fieldlog import: no file at {path}\n")
        return EXIT_USAGE
    places = Places.load(provinces=settings.province_list)
    url = settings.resolved_database_url()
    upgrade(url)
    data = path.read_bytes()
    context = ImportContext.of_places(places, _local_today(), None)
    return asyncio.run(_import(url, data, path.name, context, args.team, args.dry_run))


async def _import(
    url: str,
    data: bytes,
    filename: str,
    context: ImportContext,
    team_id: int | None,
    dry_run: bool,
) -> int:
    from bot.features.fieldlogs.pipeline import import_file
    from storage import create_engine, session_factory
    from storage.teams import TeamRepository

    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        team = None
        if team_id is not None:
            async with sessions() as session:
                team = await TeamRepository(session).get(team_id)
            if team is None:
                sys.stderr.write(f"trolyso fieldlog import: no team with id {team_id}\n")
                return EXIT_USAGE
            context = replace(context, default_commune=team.commune_code)
        result = await import_file(
            sessions,
            data,
            filename,
            context,
            team_id=team.id if team else None,
            created_by=None,
            dry_run=dry_run,
        )
        sys.stdout.write(result.summary + "\n")
        return EXIT_ERROR if result.refused else EXIT_OK
    finally:
        await engine.dispose()
