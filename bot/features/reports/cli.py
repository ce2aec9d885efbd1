"""`trolyso report`: what the volunteers did, for a period and a province, commune or team.

    trolyso report --from 2025-06-01 --to 2025-06-30 [--province NAME|CODE]
        [--commune NAME|CODE] [--team ID] [--format table|csv|xlsx|png] [--output PATH]

Dates are local dates in Vietnam time, both included. Places are names (resolved with
`intents.places.Places`, accents optional) or codes (digits: "01", "00004"). A commune name
found in several provinces stops with exit status 2 and lists the candidates, so the officer
can add --province; with --province the commune is searched in that province only.
Messages are Vietnamese: the commune officer reads them (argparse's own words stay English).
Importing this module is cheap (argparse only): the database and renderers load when it runs.
`bot/cli.py` only wires it in: `add_report_parser` and `report_command`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import re
import sys
from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.features.reports.model import Report
    from bot.services import Clock
    from bot.settings import Settings
    from intents.places import Commune, Places

__all__ = [
    "FORMATS",
    "add_report_parser",
    "parse_local_date",
    "render_report",
    "report_command",
    "resolve_scope",
    "run_report",
]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
FORMATS = ("table", "csv", "xlsx", "png")
BINARY_FORMATS = frozenset({"xlsx", "png"})
PROG = "trolyso report"
DEFAULT_DAYS = 30  # without --from/--to: the 30 days ending today (the demo's month)
MAX_CANDIDATES = 20  # the most Places.search lists; "Tân Phú" alone is in six provinces
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


# --- Arguments ---------------------------------------------------------------------------


def parse_local_date(text: str) -> date:
    """An argparse type: YYYY-MM-DD, with a precise Vietnamese message when it is wrong."""
    found = _ISO_DATE.fullmatch(text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(
            f"ngày {text!r} không đúng dạng YYYY-MM-DD (ví dụ 2025-06-30)"
        )
    year, month, day = (int(part) for part in found.groups())
    if year < 1:
        raise argparse.ArgumentTypeError(f"ngày {text!r}: không có năm {year}")
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f"ngày {text!r}: không có tháng {month}")
    try:
        return date(year, month, day)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"ngày {text!r}: tháng {month}/{year} không có ngày {day}"
        ) from None


def _team_id(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"số tổ {text!r} phải là một số nguyên dương")
    return int(text)


def add_report_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `report` subcommand (its arguments land in the namespace as below)."""
    report = subparsers.add_parser(
        "report",
        help="volunteer activity report for a period: table, CSV, XLSX or PNG charts",
        description="What the volunteers did in a period (local dates in Vietnam time, both "
        "included), for a province, a commune or a team.",
    )
    report.add_argument(
        "--from",
        dest="start",
        type=parse_local_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="first day of the period (included; default: 29 days before --to, a 30-day "
        "month like the demo's)",
    )
    report.add_argument(
        "--to",
        dest="end",
        type=parse_local_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day of the period (included; default: today in Vietnam)",
    )
    report.add_argument("--province", metavar="NAME|CODE", help="province name or code")
    report.add_argument("--commune", metavar="NAME|CODE", help="commune/ward name or code")
    report.add_argument("--team", type=_team_id, metavar="ID", help="team number")
    report.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    report.add_argument(
        "--output", type=Path, metavar="PATH", help="file to write (required for xlsx and png)"
    )


# --- Place names to codes ----------------------------------------------------------------


class PlaceError(Exception):
    """A place the officer named cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Scope:
    province_code: str | None = None
    province_name: str | None = None
    commune_code: str | None = None
    commune_name: str | None = None


def _province(text: str, places: Places) -> tuple[str, str | None]:
    """(code, short name); a code unknown to the deployment's places is kept, unnamed."""
    text = text.strip()
    if text.isdigit():
        province = places.province(text)
        return text, province.short if province is not None else None
    province = places.find_province(text)
    if province is None:
        raise PlaceError(
            f"Không tìm thấy tỉnh/thành phố {text!r}. Hãy ghi tên khác hoặc mã tỉnh (ví dụ 01)."
        )
    return province.code, province.short


def _commune(
    text: str, province_code: str | None, province_name: str | None, places: Places
) -> Commune | tuple[str, None]:
    """The commune meant, or (code, None) for a code the deployment's places do not know."""
    text = text.strip()
    if text.isdigit():
        commune = places.commune(text)
        if commune is None:
            return text, None
        if province_code is not None and commune.province_code != province_code:
            raise PlaceError(
                f"Xã/phường mã {text} ({commune.label}) không thuộc tỉnh/thành phố đã chọn."
            )
        return commune
    # Naming the province after the commune makes the search look in that province only.
    query = text if province_name is None else f"{text}, {province_name}"
    match = places.search(query, limit=MAX_CANDIDATES)
    candidates = [
        c for c in match.candidates if province_code is None or c.province_code == province_code
    ]
    if candidates and (match.status == "found" or len(candidates) == 1):
        return candidates[0]
    if not candidates:
        where = " trong tỉnh/thành phố đã chọn" if province_code is not None else ""
        raise PlaceError(f"Không tìm thấy xã/phường {text!r}{where}.")
    listed = "\n".join(f"  - {c.label} (mã {c.code})" for c in candidates)
    if province_code is None:
        raise PlaceError(
            f"Có nhiều xã/phường ứng với {text!r}:\n{listed}\n"
            "Hãy thêm --province TÊN_TỈNH, hoặc dùng --commune MÃ."
        )
    raise PlaceError(
        f"Chưa rõ xã/phường {text!r} trong tỉnh/thành phố đã chọn; có thể là:\n{listed}\n"
        "Hãy ghi đúng tên, hoặc dùng --commune MÃ."
    )


def resolve_scope(args: argparse.Namespace, places: Places) -> Scope:
    """Province and commune codes (and names to show) from what the officer typed.

    Raises PlaceError with a message for the officer.
    """
    scope = Scope()
    if args.province:
        code, name = _province(args.province, places)
        scope = replace(scope, province_code=code, province_name=name)
    if args.commune:
        commune = _commune(args.commune, scope.province_code, scope.province_name, places)
        if isinstance(commune, tuple):
            scope = replace(scope, commune_code=commune[0])
        else:
            scope = replace(scope, commune_code=commune.code, commune_name=commune.label)
    return scope


# --- Running -----------------------------------------------------------------------------


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    sys.stderr.write(f"{PROG}: {message}\n")
    return status


def render_report(report: Report, output_format: str) -> str | bytes:
    """The report in one of `FORMATS`: what `trolyso report` writes and the console serves."""
    if output_format == "csv":
        from bot.features.reports.csv_export import render_csv

        return render_csv(report)
    if output_format == "xlsx":
        from bot.features.reports.xlsx_export import render_xlsx

        return render_xlsx(report)
    if output_format == "png":
        from bot.features.reports.charts import render_png

        return render_png(report)
    from bot.features.reports.table import render_table

    return render_table(report)


def _write(path: Path, rendered: str | bytes) -> int:
    """Write the file (text as UTF-8, line ends kept) and return its size in bytes."""
    if isinstance(rendered, bytes):
        path.write_bytes(rendered)
    else:
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(rendered)
    return path.stat().st_size


async def run_report(
    args: argparse.Namespace, engine: AsyncEngine, places: Places, clock: Clock
) -> int:
    """Build the report and write it: stdout for text formats without --output, else the file.

    The report is made at `clock()`. Exit status: 0 done, 2 wrong arguments (period, place,
    team, missing --output), 1 the file could not be written.
    """
    from bot.features.reports.build import build_report
    from storage.db import session_factory
    from storage.report_queries import ReportFilter

    if args.end is None:  # the 30 days ending today, as `trolyso demo` fills them
        args.end = clock().astimezone(timezone(timedelta(hours=7))).date()
    if args.start is None:
        args.start = args.end - timedelta(days=DEFAULT_DAYS - 1)
    if args.end < args.start:
        return _fail(
            f"--to {args.end.isoformat()} đứng trước --from {args.start.isoformat()}: "
            "ngày kết thúc phải từ ngày bắt đầu trở đi"
        )
    if args.format in BINARY_FORMATS and args.output is None:
        return _fail(f"định dạng {args.format} cần --output TỆP (ví dụ bao-cao.{args.format})")
    if args.format == "png" and importlib.util.find_spec("matplotlib") is None:
        return _fail(
            "định dạng png cần thư viện vẽ biểu đồ: cài bằng "
            "`.venv/bin/pip install 'trolyso[charts]'` (hoặc `pip install matplotlib`), "
            "hoặc dùng --format xlsx",
            EXIT_ERROR,
        )
    try:
        scope = resolve_scope(args, places)
    except PlaceError as exc:
        return _fail(str(exc))

    report_filter = ReportFilter(
        start=args.start,
        end=args.end,
        province_code=scope.province_code,
        commune_code=scope.commune_code,
        team_id=args.team,
    )
    async with session_factory(engine)() as session:
        report = await build_report(session, report_filter, now=clock())
    if args.team is not None and report.team_name is None:
        return _fail(f"không có tổ số {args.team}")
    report = replace(report, province_name=scope.province_name, commune_name=scope.commune_name)

    rendered = render_report(report, args.format)
    if args.output is None:
        assert isinstance(rendered, str)  # binary formats were refused above
        sys.stdout.write(rendered)
        sys.stdout.flush()
        return EXIT_OK
    path: Path = args.output
    try:
        size = await asyncio.to_thread(_write, path, rendered)
    except OSError as exc:
        return _fail(f"không ghi được tệp {str(path)!r}: {exc.strerror or exc}", EXIT_ERROR)
    shown = f"{size:,}".replace(",", ".")
    sys.stdout.write(f"Đã ghi báo cáo vào {path} ({shown} byte).\n")
    return EXIT_OK


def report_command(
    settings: Settings, args: argparse.Namespace, clock: Clock | None = None
) -> int:
    """`trolyso report`: migrate, build and write the report, and audit the export.

    `clock` defaults to the system clock the bot's services use; the export is audited at the
    clock's time, whoever runs it.
    """
    from bot.services import system_clock
    from intents.places import Places
    from storage import create_engine, session_factory
    from storage.audit import AuditRepository
    from storage.migrate import upgrade

    now = clock or system_clock
    url = settings.resolved_database_url()
    upgrade(url)
    places = Places.load(provinces=settings.province_list)

    async def run() -> int:
        engine = create_engine(url)
        try:
            status = await run_report(args, engine, places, now)
            if status == EXIT_OK:
                async with session_factory(engine).begin() as session:
                    await AuditRepository(session).record(
                        "export",
                        now(),
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
