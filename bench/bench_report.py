"""Benchmark `trolyso report`: build a report over 100,000 help requests, then render it.

Fills a fresh database (a temporary SQLite file by default, or --url, which it migrates and
fills, so use an empty throwaway database) with synthetic requests spread over June 2025, about
five events each, field logs and volunteers; then times `build_report` for the whole month,
for one province and for one commune, and the four renderers, and prints the sizes of the
XLSX and PNG files.

The machine is shared and noisy: read the order of magnitude, not the last digit.

Usage: python bench/bench_report.py [--requests 100000] [--url postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.reporting import render_csv, render_png, render_table, render_xlsx
from storage import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import FieldLogRow, HelpRequestRow, PersonRow, RequestEventRow, TeamRow
from storage.reports import Report, ReportFilter, build_report
from storage.vocabulary import OUTCOMES, SERVICES, TOPICS

JUNE = ReportFilter(date(2025, 6, 1), date(2025, 6, 30))
START = datetime(2025, 5, 31, 17, 0, tzinfo=UTC)  # 1 June, 00:00 in Vietnam
PROVINCES = ("01", "79", "75")
COMMUNES_PER_PROVINCE = 10
VOLUNTEERS = 300
CHUNK = 5_000


def communes() -> list[tuple[str, str]]:
    return [
        (province, f"{province}{number:03d}")
        for province in PROVINCES
        for number in range(COMMUNES_PER_PROVINCE)
    ]


def synthetic(requests: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Rows for every table, with explicit ids so events can point at their request."""
    rng = random.Random(seed)
    places = communes()
    teams = [
        {"id": i + 1, "name": f"Tổ {code}", "commune_code": code, "province_code": province}
        for i, (province, code) in enumerate(places)
    ]
    people = [
        {
            "id": i + 1,
            "handle": f"V{i:05d}",
            "role": "volunteer",
            "display_name": f"Tình nguyện viên {i}" if i % 5 else None,
            "team_id": 1 + i % len(teams),
        }
        for i in range(VOLUNTEERS)
    ]
    help_requests: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    topics, outcomes, services = list(TOPICS), list(OUTCOMES), list(SERVICES)
    for rid in range(1, requests + 1):
        team = rng.choice(teams)
        created = START + timedelta(seconds=rng.randrange(30 * 86_400))
        row: dict[str, Any] = {
            "id": rid,
            "ref": f"HT{rid:08d}",
            "citizen_channel": "zalo",
            "citizen_external_id": f"{rng.randrange(10**9)}",
            "pseudonym": f"Người dân {rid}",
            "team_id": team["id"],
            "topic": rng.choice(topics),
            "commune_code": team["commune_code"],
            "province_code": team["province_code"],
            "phone": f"09{rng.randrange(10**8):08d}",
            "status": "open",
            "services": [],
            "is_demo": rid % 50 == 0,
            "created_at": created,
            "last_activity_at": created,
        }
        kinds: list[tuple[str, datetime, int | None]] = [
            ("created", created, None),
            ("notified", created, None),
        ]
        roll = rng.random()
        if roll < 0.85:
            volunteer = rng.randrange(1, VOLUNTEERS + 1)
            claimed = created + timedelta(minutes=rng.expovariate(1 / 12))
            kinds.append(("claimed", claimed, volunteer))
            row.update(volunteer_id=volunteer, status="active")
            if roll < 0.8:
                ended = claimed + timedelta(minutes=rng.expovariate(1 / 25))
                kinds.append(("ended", ended, volunteer))
                row.update(status="closed", services=rng.sample(services, rng.randint(0, 2)))
                if rng.random() < 0.9:
                    row["outcome"] = rng.choice(outcomes)
                    kinds.append(("outcome", ended, volunteer))
                if rng.random() < 0.4:
                    row["rating"] = rng.randint(1, 5)
                    kinds.append(("rated", ended + timedelta(minutes=1), None))
        else:
            row["status"] = rng.choice(("unclaimed", "cancelled", "open"))
        help_requests.append(row)
        events.extend(
            {"request_id": rid, "kind": kind, "at": at, "actor_id": actor, "detail": {}}
            for kind, at, actor in kinds
        )
    field_logs = [
        {
            "day": date(2025, 6, 1) + timedelta(days=rng.randrange(30)),
            "commune_code": team["commune_code"],
            "province_code": team["province_code"],
            "team_id": team["id"],
            "volunteer_id": rng.randrange(1, VOLUNTEERS + 1),
            "services": rng.sample(services, rng.randint(1, 3)),
            "citizens_helped": rng.randint(1, 40),
            "source": "import",
        }
        for team in (rng.choice(teams) for _ in range(max(1, requests // 50)))
    ]
    return {
        "teams": teams,
        "people": people,
        "help_requests": help_requests,
        "request_events": events,
        "field_logs": field_logs,
    }


async def fill(url: str, requests: int) -> None:
    rows = synthetic(requests)
    tables = {
        "teams": TeamRow,
        "people": PersonRow,
        "help_requests": HelpRequestRow,
        "request_events": RequestEventRow,
        "field_logs": FieldLogRow,
    }
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            for name, model in tables.items():
                table = rows[name]
                for at in range(0, len(table), CHUNK):
                    await session.execute(insert(model), table[at : at + CHUNK])
    finally:
        await engine.dispose()
    print(
        f"filled: {len(rows['help_requests']):,} requests, {len(rows['request_events']):,} "
        f"events, {len(rows['field_logs']):,} field logs"
    )


async def measure(url: str) -> Report:
    engine = create_engine(url)
    try:
        cases = {
            "whole month": JUNE,
            "one province": ReportFilter(JUNE.start, JUNE.end, province_code="79"),
            "one commune": ReportFilter(JUNE.start, JUNE.end, commune_code="01003"),
        }
        whole: Report | None = None
        for name, report_filter in cases.items():
            async with session_factory(engine)() as session:
                started = time.perf_counter()
                report = await build_report(session, report_filter)
                elapsed = time.perf_counter() - started
            whole = whole or report
            print(
                f"build_report, {name}: {elapsed:.2f} s "
                f"({report.requests_total:,} requests, wait median "
                f"{report.wait.median_minutes or 0:.1f} min)"
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
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--url", help="an empty throwaway database (default: temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        started = time.perf_counter()
        asyncio.run(fill(url, args.requests))
        print(f"fill: {time.perf_counter() - started:.1f} s")
        report = asyncio.run(measure(url))
    render(report)


if __name__ == "__main__":
    main()
