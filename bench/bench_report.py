"""Benchmark `trolyso report`: build reports over many help requests, then render one.

Fills a database with synthetic requests (about five events each), field logs and volunteers,
then times `build_report` for the whole period, for one province, for one commune and for one
team's last 30 days (what /baocao builds), and the four renderers, and prints the sizes of the
XLSX and PNG files.

Two sizes: the default, 100,000 requests over June 2025 in 3 provinces; and --year, about
1.2 million requests over 2025 in 34 provinces of 100 communes each (the province-wide target:
a year for all provinces in at most 5 s on PostgreSQL). The rows are written with the drivers'
bulk paths (COPY on PostgreSQL, executemany in one transaction on SQLite), a chunk at a time,
so a year fills in one to two minutes without holding it all in memory. The bulk paths bypass
the ORM, so the rows carry their `help_requests.first_*_at` times themselves.

Without --url the database is a temporary SQLite file. With --url it is migrated and filled,
so give an empty throwaway database; --reuse skips both and measures a database an earlier
run filled (keep a SQLite file with --url sqlite+aiosqlite:////tmp/bench.db).

The machine is shared and noisy: read the order of magnitude, not the last digit.

Usage: python bench/bench_report.py [--year | --requests 100000] [--url URL [--reuse]]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bot.features.reports.build import build_report
from bot.features.reports.charts import render_png
from bot.features.reports.csv_export import render_csv
from bot.features.reports.model import Report
from bot.features.reports.table import render_table
from bot.features.reports.xlsx_export import render_xlsx
from storage import create_engine, session_factory
from storage.migrate import upgrade
from storage.report_queries import VIETNAM, ReportFilter
from storage.vocabulary import OUTCOMES, SERVICES, TOPICS

CHUNK = 20_000  # requests generated and written at a time


@dataclass(frozen=True)
class Shape:
    """How much synthetic data, and over which local days."""

    requests: int
    first_day: date
    days: int
    provinces: int
    communes_per_province: int
    volunteers: int

    @property
    def period(self) -> ReportFilter:
        return ReportFilter(self.first_day, self.first_day + timedelta(days=self.days - 1))

    def province_codes(self) -> list[str]:
        return [f"{1 + 2 * i:02d}" for i in range(self.provinces)]

    def communes(self) -> list[tuple[str, str]]:
        return [
            (province, f"{province}{number:03d}")
            for province in self.province_codes()
            for number in range(self.communes_per_province)
        ]


MONTH = Shape(100_000, date(2025, 6, 1), 30, 3, 10, 300)
YEAR = Shape(1_200_000, date(2025, 1, 1), 365, 34, 100, 10_000)

# Column order of the rows `generate` yields, per table (every NOT NULL column is given: the
# models' defaults are Python-side, so a bulk path that bypasses SQLAlchemy must supply them).
COLUMNS: dict[str, tuple[str, ...]] = {
    "teams": ("id", "name", "commune_code", "province_code", "created_at"),
    "people": ("id", "handle", "role", "display_name", "team_id", "created_at"),
    "help_requests": (
        "id",
        "ref",
        "citizen_channel",
        "citizen_external_id",
        "pseudonym",
        "volunteer_id",
        "team_id",
        "topic",
        "commune_code",
        "province_code",
        "description",
        "mode",
        "phone",
        "status",
        "outcome",
        "services",
        "rating",
        "is_demo",
        "created_at",
        "last_activity_at",
        "first_created_at",  # storage.request_times keeps these on ORM inserts, not on COPY
        "first_claimed_at",
        "first_ended_at",
    ),
    "request_events": ("id", "request_id", "kind", "actor_id", "at", "detail"),
    "field_logs": (
        "id",
        "day",
        "commune_code",
        "province_code",
        "team_id",
        "volunteer_id",
        "volunteer_name",
        "place",
        "services",
        "citizens_helped",
        "notes",
        "source",
        "created_at",
    ),
}
JSON_COLUMNS = {"services", "detail"}

Rows = dict[str, list[tuple[Any, ...]]]


def generate(shape: Shape, seed: int = 7) -> Iterator[Rows]:
    """Rows for every table, a chunk at a time, with explicit ids (events name their request).

    JSON values are given as JSON text: both bulk paths take it as is.
    """
    rng = random.Random(seed)
    places = shape.communes()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    teams = [
        (i + 1, f"Tổ {code}", code, province, now) for i, (province, code) in enumerate(places)
    ]
    people = [
        (
            i + 1,
            f"V{i:05d}",
            "volunteer",
            f"Tình nguyện viên {i}" if i % 5 else None,
            1 + i % len(teams),
            now,
        )
        for i in range(shape.volunteers)
    ]
    yield {"teams": teams, "people": people}
    start = datetime.combine(shape.first_day, datetime.min.time(), tzinfo=VIETNAM)
    seconds = shape.days * 86_400
    topics, outcomes, services = list(TOPICS), list(OUTCOMES), list(SERVICES)
    event_id = 0
    for first in range(1, shape.requests + 1, CHUNK):
        requests: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        for rid in range(first, min(first + CHUNK, shape.requests + 1)):
            team_id, _, commune, province, _ = rng.choice(teams)
            # Ids follow arrival, as in a real database (scans by time read the table in order).
            offset = seconds * (rid - 1 + rng.random()) / shape.requests
            created = (start + timedelta(seconds=offset)).astimezone(UTC)
            kinds: list[tuple[str, datetime, int | None]] = [
                ("created", created, None),
                ("notified", created, None),
            ]
            volunteer = outcome = rating = claimed = ended = None
            chosen: list[str] = []
            roll = rng.random()
            if roll < 0.85:
                volunteer = rng.randrange(1, shape.volunteers + 1)
                claimed = created + timedelta(minutes=rng.expovariate(1 / 12))
                kinds.append(("claimed", claimed, volunteer))
                status = "active"
                if roll < 0.8:
                    ended = claimed + timedelta(minutes=rng.expovariate(1 / 25))
                    kinds.append(("ended", ended, volunteer))
                    status = "closed"
                    chosen = rng.sample(services, rng.randint(0, 2))
                    if rng.random() < 0.9:
                        outcome = rng.choice(outcomes)
                        kinds.append(("outcome", ended, volunteer))
                    if rng.random() < 0.4:
                        rating = rng.randint(1, 5)
                        kinds.append(("rated", ended + timedelta(minutes=1), None))
            else:
                status = rng.choice(("unclaimed", "cancelled", "open"))
            requests.append(
                (
                    rid,
                    f"HT{rid:08d}",
                    "zalo",
                    f"{rng.randrange(10**9)}",
                    f"Người dân {rid}",
                    volunteer,
                    team_id,
                    rng.choice(topics),
                    commune,
                    province,
                    "",
                    "chat",
                    f"09{rng.randrange(10**8):08d}",
                    status,
                    outcome,
                    json.dumps(chosen),
                    rating,
                    rid % 50 == 0,
                    created,
                    created,
                    created,
                    claimed,
                    ended,
                )
            )
            for kind, at, actor in kinds:
                event_id += 1
                events.append((event_id, rid, kind, actor, at, "{}"))
        yield {"help_requests": requests, "request_events": events}
    field_logs: list[tuple[Any, ...]] = []
    for log_id in range(1, max(1, shape.requests // 50) + 1):
        team_id, _, commune, province, _ = rng.choice(teams)
        field_logs.append(
            (
                log_id,
                shape.first_day + timedelta(days=rng.randrange(shape.days)),
                commune,
                province,
                team_id,
                rng.randrange(1, shape.volunteers + 1),
                None,
                "",
                json.dumps(rng.sample(services, rng.randint(1, 3))),
                rng.randint(1, 40),
                "",
                "import",
                now,
            )
        )
    yield {"field_logs": field_logs}


async def fill_postgres(url: str, shape: Shape) -> dict[str, int]:
    """COPY every chunk, then move the id sequences past the ids given and ANALYZE.

    ANALYZE stands in for autovacuum, which would have done it long before a year is over.
    """
    written = dict.fromkeys(COLUMNS, 0)
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        # The rows are consistent by construction: skip the foreign-key triggers when allowed
        # (a superuser, as on a throwaway test server); about three times faster.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await connection.execute("SET session_replication_role = replica")
        for chunk in generate(shape):
            for table, rows in chunk.items():
                await connection.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
                written[table] += len(rows)
        for table in COLUMNS:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return written


def fill_sqlite(path: str, shape: Shape) -> dict[str, int]:
    """executemany in one transaction, with values as SQLAlchemy stores them on SQLite."""

    def stored(value: Any) -> Any:
        if isinstance(value, datetime):  # naive UTC, microseconds always written
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return value

    written = dict.fromkeys(COLUMNS, 0)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            for chunk in generate(shape):
                for table, rows in chunk.items():
                    names = COLUMNS[table]
                    connection.executemany(
                        f"INSERT INTO {table} ({', '.join(names)}) "
                        f"VALUES ({', '.join('?' * len(names))})",
                        ([stored(value) for value in row] for row in rows),
                    )
                    written[table] += len(rows)
    finally:
        connection.close()
    return written


def fill(url: str, shape: Shape) -> None:
    started = time.perf_counter()
    if url.startswith("sqlite"):
        written = fill_sqlite(url.split(":///", 1)[1], shape)
    else:
        written = asyncio.run(fill_postgres(url, shape))
    print(
        f"filled in {time.perf_counter() - started:.0f} s: {written['help_requests']:,} "
        f"requests, {written['request_events']:,} events, {written['field_logs']:,} field logs, "
        f"{written['people']:,} volunteers, {written['teams']:,} teams"
    )


async def measure(url: str, shape: Shape, repeat: int) -> Report:
    """Each report `repeat` times in a fresh session; prints the best and the slowest."""
    engine = create_engine(url)
    period = shape.period
    province = shape.province_codes()[min(1, shape.provinces - 1)]
    commune = shape.communes()[0][1]
    cases = {
        f"all {shape.provinces} provinces, {shape.days} days": period,
        f"one province ({province})": ReportFilter(period.start, period.end, province),
        f"one commune ({commune})": ReportFilter(period.start, period.end, commune_code=commune),
        # What /baocao builds for a team leader: the team's current month.
        "one team, last 30 days": ReportFilter(
            max(period.start, period.end - timedelta(days=29)), period.end, team_id=5
        ),
    }
    try:
        whole: Report | None = None
        for name, report_filter in cases.items():
            times: list[float] = []
            for _ in range(repeat):
                async with session_factory(engine)() as session:
                    started = time.perf_counter()
                    report = await build_report(session, report_filter, now=datetime.now(UTC))
                    times.append(time.perf_counter() - started)
            whole = whole or report
            print(
                f"build_report, {name}: {min(times):.2f} s (slowest {max(times):.2f} s; "
                f"{report.requests_total:,} requests, wait median "
                f"{report.wait.median_minutes or 0:.2f} min, p90 "
                f"{report.wait.p90_minutes or 0:.2f}; handling median "
                f"{report.handling.median_minutes or 0:.2f} min)"
            )
        assert whole is not None
        return whole
    finally:
        await engine.dispose()


def render(report: Report) -> None:
    for name, renderer in (
        ("table", render_table),
        ("csv", render_csv),
        ("xlsx", render_xlsx),
        ("png", render_png),
    ):
        started = time.perf_counter()
        output = renderer(report)
        elapsed = time.perf_counter() - started
        size = len(output.encode("utf-8")) if isinstance(output, str) else len(output)
        print(f"render_{name}: {elapsed:.2f} s, {size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--requests", type=int, help=f"default {MONTH.requests:,} over a month")
    size.add_argument("--year", action="store_true", help="34 provinces, 2025, 1.2 M requests")
    parser.add_argument("--url", help="an empty throwaway database (default: temporary SQLite)")
    parser.add_argument("--reuse", action="store_true", help="--url is filled already")
    parser.add_argument("--repeat", type=int, default=3, help="builds per report (best shown)")
    parser.add_argument("--no-render", action="store_true", help="skip the renderers")
    args = parser.parse_args()
    shape = YEAR if args.year else MONTH
    if args.requests:
        shape = replace(MONTH, requests=args.requests)
    if args.reuse and not args.url:
        parser.error("--reuse needs --url")
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        if not args.reuse:
            upgrade(url)
            fill(url, shape)
        report = asyncio.run(measure(url, shape, args.repeat))
    if not args.no_render:
        render(report)


if __name__ == "__main__":
    main()
