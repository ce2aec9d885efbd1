"""`trolyso content export` and `trolyso content import`.

    trolyso content export --format yaml|xlsx --output PATH
    trolyso content import PATH [--dry-run] [--force REASON]

The import's report is Vietnamese (the operator reads it); usage errors stay English like
argparse's. Exit status: 0 done (or checked), 1 the file or the publication was refused,
2 a usage error. Importing this module is cheap: the rest loads when a command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings
    from content.published import Overlay

__all__ = ["add_content_file_parsers", "run_content_files"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
AUTHOR = "cli"


def add_content_file_parsers(content_sub: Any) -> None:
    """Add `export` and `import` to the `trolyso content` subcommands."""
    export = content_sub.add_parser(
        "export", help="write the content the bot answers with now to a YAML or XLSX file"
    )
    export.add_argument("--format", choices=("yaml", "xlsx"), default="yaml")
    export.add_argument("--output", required=True, help="the file to write ('-': stdout)")
    importing = content_sub.add_parser(
        "import", help="validate a YAML or XLSX content file and publish it as one version"
    )
    importing.add_argument("path", type=Path, help="the YAML or XLSX file")
    importing.add_argument(
        "--dry-run", action="store_true", help="check and show, publish nothing"
    )
    importing.add_argument(
        "--force", default="", metavar="REASON", help="publish despite an evaluation drop"
    )


def run_content_files(settings: Settings, args: argparse.Namespace) -> int:
    """Run `trolyso content export|import`; returns the exit status."""
    if args.content_command == "export":
        return _export(settings, args.format, args.output)
    path: Path = args.path
    if not path.is_file():
        sys.stderr.write(f"trolyso content import: no file at {path}\n")
        return EXIT_USAGE
    return asyncio.run(_import(settings, path.read_bytes(), path.name, args.dry_run, args.force))


def _export(settings: Settings, kind: str, output: str) -> int:
    from bot.features.content_files.export import export_bytes, overlay_from_database
    from content import load_content
    from content.published import apply_overlay, read_published

    baseline = load_content(settings.content_dir, settings.cache_dir)
    if _database_configured(settings):
        overlay: Overlay | None = asyncio.run(
            overlay_from_database(settings.resolved_database_url())
        )
    else:
        overlay = read_published(settings.data_dir)
    data = export_bytes(apply_overlay(baseline, overlay), "xlsx" if kind == "xlsx" else "yaml")
    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return EXIT_OK
    Path(output).write_bytes(data)
    version = overlay.version if overlay else 0
    sys.stderr.write(f"Wrote {output} (content version {version}, {len(data):,} bytes).\n")
    return EXIT_OK


def _database_configured(settings: Settings) -> bool:
    """Whether a database is configured (not only the default SQLite file)."""
    from bot.settings import Settings

    return bool(Settings.secret(settings.database_url))


async def _import(
    settings: Settings, data: bytes, filename: str, dry_run: bool, forced: str
) -> int:
    from bot.dialogue import Dialogue
    from bot.features.content_files.importing import plan_import, publish_plan
    from bot.features.content_files.records import Refused
    from bot.features.content_versions.publish import adopt
    from bot.matching import build_matcher
    from bot.published import LiveContent
    from content import load_content
    from content.published import Overlay, apply_overlay
    from storage import create_engine, session_factory
    from storage.content_versions import ContentVersionRepository
    from storage.migrate import upgrade
    from storage.models import PersonRow

    url = settings.resolved_database_url()
    await asyncio.to_thread(upgrade, url)
    baseline = load_content(settings.content_dir, settings.cache_dir)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            repo = ContentVersionRepository(session)
            version = await repo.current_id()
            row = await repo.get(version) if version else None
            overlay = Overlay.from_json(version, row.overlay if row else {})
        content = apply_overlay(baseline, overlay)
        try:
            plan = plan_import(data, filename, content)
        except Refused as refused:
            sys.stdout.write(f"{refused}\nChưa xuất bản gì.\n")
            return EXIT_ERROR
        sys.stdout.write("\n".join(plan.summary()) + "\n")
        if not plan.ok:
            return EXIT_ERROR
        if dry_run or not plan.touched:
            sys.stdout.write(
                "Chạy thử: chưa xuất bản gì.\n" if dry_run else "Không có gì thay đổi.\n"
            )
            return EXIT_OK
        matcher = build_matcher(content, settings.cache_dir)
        live = LiveContent(
            baseline,
            Dialogue(content, matcher),
            sessions,
            data_dir=settings.data_dir,
            cache_dir=settings.cache_dir,
            version=version,
        )
        async with sessions.begin() as session:
            if await ContentVersionRepository(session).current_id() != version:
                sys.stdout.write("Nội dung vừa được xuất bản phiên bản khác; hãy chạy lại.\n")
                return EXIT_ERROR
            outcome = await publish_plan(
                session,
                live,
                PersonRow(handle=AUTHOR),
                datetime.now(UTC),
                plan,
                overlay,
                forced=forced,
            )
        if outcome.refused:
            sys.stdout.write("Không xuất bản được:\n")
            sys.stdout.writelines(f"  {problem}\n" for problem in outcome.gate.problems)
            for name in outcome.gate.drops:
                before = (outcome.gate.before or {}).get(name, 0.0)
                after = (outcome.gate.after or {}).get(name, 0.0)
                worse, better = outcome.gate.changed.get(name, [0, 0])
                sys.stdout.write(
                    f"  {name} giảm từ {before:.1%} xuống {after:.1%} trên bộ đánh giá "
                    f"({worse} câu từ đúng thành sai, {better} câu từ sai thành đúng); "
                    'nếu vẫn muốn xuất bản, chạy lại với --force "lý do".\n'
                )
            return EXIT_ERROR
        await adopt(live, outcome)
        sys.stdout.write(f"Đã xuất bản phiên bản {outcome.version}.\n")
        return EXIT_OK
    finally:
        await engine.dispose()
