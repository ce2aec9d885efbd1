"""Benchmark the web console: server time per page on a year of one province's activity.

Builds a database with 100,000 help requests over the last 365 days in one province (100
communes; bench/bench_report.py's generator), their events and field logs, and a question
log of about 400,000 questions; then loads the overview and the requests list (and a request,
the audit log) many times through the real ASGI application, signed in as an operator and as
a team leader, and prints the median and the 95th percentile of the server time per page.
Target: under 300 ms each.

Without --url the database is a temporary SQLite file; --url postgresql+asyncpg://... fills
an empty throwaway PostgreSQL database instead (--reuse measures one filled before).

Usage, from the repository root:
    python -m bench.bench_console [--requests 100000] [--loads 30] [--url URL [--reuse]]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert
from starlette.applications import Starlette

from bench.bench_report import MONTH, fill
from bot.features.console.links import issue_link
from bot.features.console.web import Console, console_mount
from bot.support.common import Turn
from intents.places import Places
from storage import create_engine, session_factory
from storage.console_models import QuestionLogRow
from storage.migrate import upgrade
from storage.models import PersonRow
from storage.report_queries import VIETNAM

QUESTIONS_PER_DAY = 1_100
ACTIONS = ("answer", "clarify", "fallback", "helpful", "unhelpful")
WEIGHTS = (70.0, 12.0, 12.0, 5.0, 1.0)


async def add_questions(url: str, days: int, seed: int = 3) -> int:
    """The question log of `days` days, hour by hour, in bulk."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    engine = create_engine(url)
    written = 0
    try:
        async with engine.begin() as connection:
            for day in range(days):
                rows = [
                    {
                        "at": now - timedelta(days=day, hours=rng.randrange(24)),
                        "channel": rng.choice(("telegram", "zalo")),
                        "action": action,
                        "intent": None,
                        "province_code": None,
                        "commune_code": None,
                    }
                    for action in rng.choices(ACTIONS, WEIGHTS, k=QUESTIONS_PER_DAY)
                ]
                await connection.execute(insert(QuestionLogRow), rows)
                written += len(rows)
    finally:
        await engine.dispose()
    return written


async def people(url: str) -> dict[str, int]:
    """An operator and the leader of team 5 (the generator's teams have ids from 1)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            operator = PersonRow(handle="BENCHOP", role="operator")
            leader = PersonRow(handle="BENCHLD", role="leader", team_id=5)
            session.add_all([operator, leader])
            await session.flush()
            return {"operator": operator.id, "leader": leader.id}
    finally:
        await engine.dispose()


async def measure(url: str, loads: int, who: dict[str, int]) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    console = Console(sessions, Places.load(), lambda: datetime.now(UTC))
    app = Starlette(routes=[console_mount(console)])
    pages = {
        "overview": "/admin/",
        "requests (waiting)": "/admin/requests",
        "requests (all, page 1)": "/admin/requests?trang-thai=tat-ca",
        "requests (all, page 40)": "/admin/requests?trang-thai=tat-ca&trang=40",
        "one request": "/admin/requests/HT00050000",
        "audit log": "/admin/audit",
    }
    try:
        for role, person_id in who.items():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                async with sessions.begin() as session:
                    turn = Turn.open(session, datetime.now(UTC))
                    person = await turn.people.get(person_id)
                    assert person is not None
                    link = await issue_link(turn, person, "http://127.0.0.1", by="bench")
                signed = await http.post("/admin/login", data={"token": link.split("token=")[1]})
                assert signed.status_code == 303, signed.text
                for name, path in pages.items():
                    times: list[float] = []
                    status = 0
                    for _ in range(loads):
                        started = time.perf_counter()
                        response = await http.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                        status = response.status_code
                    times.sort()
                    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                    print(
                        f"{role:8} {name:24} HTTP {status}: median "
                        f"{statistics.median(times):6.1f} ms, p95 {p95:6.1f} ms ({loads} loads)"
                    )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=30, help="loads per page (default 30)")
    parser.add_argument("--url", help="an empty throwaway database (default: temporary SQLite)")
    parser.add_argument("--reuse", action="store_true", help="--url is filled already")
    args = parser.parse_args()
    today = datetime.now(UTC).astimezone(VIETNAM).date()
    shape = replace(
        MONTH,
        requests=args.requests,
        first_day=today - timedelta(days=364),
        days=365,
        provinces=1,
        communes_per_province=100,
        volunteers=400,
    )
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        if not args.reuse:
            upgrade(url)
            fill(url, shape)
            started = time.perf_counter()
            count = asyncio.run(add_questions(url, shape.days))
            print(f"question log: {count:,} rows in {time.perf_counter() - started:.0f} s")
        who = asyncio.run(people(url))
        asyncio.run(measure(url, args.loads, who))


if __name__ == "__main__":
    main()
