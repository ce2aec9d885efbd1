"""The report computed in the database equals the old row-by-row computation, exactly.

Random data (seeded), on SQLite and PostgreSQL, full of the awkward cases: requests with no,
one or two `created` events, claims by several people or by nobody, ends of both kinds or none,
backwards spans, many equal durations, microsecond times, even and odd counts, unknown codes,
names that mask alike, deleted volunteers. Events are inserted in random order across several
flushes, so the `first_*_at` copies must hold the earliest time whatever the order. The oracle
(tests/storage/report_oracle.py) reads only the events; reports must be equal field by field,
floats to the last bit.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features.reports.build import build_report
from bot.features.reports.model import Report
from storage import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import FieldLogRow, HelpRequestRow, PersonRow, RequestEventRow, TeamRow
from storage.report_durations import span_durations
from storage.report_queries import ReportFilter, request_scope
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, SERVICES, TOPICS
from tests.storage.conftest import _reset_postgres, postgres_url
from tests.storage.report_oracle import old_build_report

JUNE = ReportFilter(date(2025, 6, 1), date(2025, 6, 30))
NOW = datetime(2025, 7, 2, 1, 30, tzinfo=UTC)  # the clock the reports are made at
PLACES = [("00004", "01"), ("00008", "01"), ("27031", "79")]
NAMES = ["Lan", "Lan", None, "Minh", "Tú", "Anh 0912345678", "  ", "Đào", "Dũng", "Bình"]
LOG_NAMES = [None, "", "  ", "Cô Ba", " Cô Ba ", "Anh 0912345678", "Anh 0987654321", "Ông Tư"]
# Few distinct durations, so equal spans (ties) are common; some backwards.
MINUTES = [-3.0, 0.0, 1.0, 2.0, 2.0, 5.0, 5.0, 5.0, 10.0, 12.5, 30.0, 60.0, 1500.0]


@dataclass
class Data:
    """Rows as dictionaries (ids given), and what the data is known to contain."""

    teams: list[dict[str, Any]]
    people: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    events: list[dict[str, Any]]
    field_logs: list[dict[str, Any]]
    backwards: int = 0


def _micros(rng: random.Random) -> timedelta:
    """None, any, or a fraction SQLite's own date functions round up to the next second."""
    return timedelta(microseconds=rng.choice([0, 0, 999_999, 999_500, rng.randrange(10**6)]))


def _moment(rng: random.Random) -> datetime:
    """From 25 May to 5 July 2025 (UTC), to the microsecond."""
    start = datetime(2025, 5, 25, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(41 * 86_400)) + _micros(rng)


def _after(rng: random.Random, at: datetime) -> datetime:
    jitter = _micros(rng) if rng.random() < 0.3 else timedelta()
    return at + timedelta(minutes=rng.choice(MINUTES)) + jitter


def generate(seed: int, requests: int = 160) -> Data:
    rng = random.Random(seed)
    teams = [
        {"id": i + 1, "name": f"Tổ {commune}", "commune_code": commune, "province_code": prov}
        for i, (commune, prov) in enumerate(PLACES)
    ]
    people = [
        {
            "id": i + 1,
            "handle": f"H{i:03d}",
            "role": "volunteer",
            "display_name": name,
            "team_id": rng.choice(teams)["id"],
            "deleted_at": datetime(2025, 7, 1, tzinfo=UTC) if i == 9 else None,
        }
        for i, name in enumerate(NAMES)
    ]
    actors = list(range(1, len(NAMES) + 1))
    data = Data(teams, people, [], [], [])
    for rid in range(1, requests + 1):
        team = rng.choice(teams)
        created = _moment(rng)
        data.requests.append(
            {
                "id": rid,
                "ref": f"HT{rid:05d}",
                "citizen_channel": "zalo",
                "pseudonym": f"Người dân {rid}",
                "volunteer_id": rng.choice([None, *actors]),
                "team_id": team["id"] if rng.random() < 0.9 else None,
                "topic": rng.choice([*TOPICS, "mystery"]),
                "commune_code": team["commune_code"],
                "province_code": team["province_code"],
                "status": rng.choice([*REQUEST_STATUSES, "weird"]),
                "outcome": rng.choice([None, *OUTCOMES, "odd"]),
                "services": rng.sample([*SERVICES, "x1", "x1"], rng.randint(0, 3)),
                "rating": rng.choice([None, None, 0, 1, 2, 3, 4, 5, 7]),
                "is_demo": rng.random() < 0.1,
                "created_at": created,
                "last_activity_at": created,
            }
        )
        events: list[tuple[str, datetime, int | None]] = []
        for _ in range(rng.choice([0, 1, 1, 1, 1, 2])):  # maybe not at created_at, or twice
            at = created if rng.random() < 0.7 else _after(rng, created)
            events.append(("created", at, None))
        claims = [_after(rng, created) for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))]
        claimers: list[int | None] = [None, *actors, *actors]
        events += [("claimed", at, rng.choice(claimers)) for at in claims]
        start = min(claims, default=created)
        for _ in range(rng.choice([0, 1, 1, 2])):
            events.append((rng.choice(["ended", "idle_closed"]), _after(rng, start), None))
        events += [(kind, _after(rng, created), None) for kind in ("notified", "outcome", "rated")]
        data.events += [
            {"request_id": rid, "kind": kind, "at": at, "actor_id": actor, "detail": {}}
            for kind, at, actor in events
        ]
    rng.shuffle(data.events)
    data.backwards = sum(
        1 for e in data.events if e["kind"] == "claimed" and e["at"] < _request_created(data, e)
    )
    for log_id in range(1, 61):
        team = rng.choice(teams)
        data.field_logs.append(
            {
                "id": log_id,
                "day": date(2025, 5, 28) + timedelta(days=rng.randrange(38)),
                "commune_code": team["commune_code"],
                "province_code": team["province_code"],
                "team_id": team["id"],
                "volunteer_id": rng.choice([None, None, *actors]),
                "volunteer_name": rng.choice(LOG_NAMES),
                "services": rng.choice([[], ["x1", "x1"], rng.sample(list(SERVICES), 2)]),
                "citizens_helped": rng.randint(0, 30),
                "source": rng.choice(["chat", "import", "demo"]),
            }
        )
    return data


def _request_created(data: Data, event: dict[str, Any]) -> datetime:
    created: datetime = data.requests[event["request_id"] - 1]["created_at"]
    return created


def filters() -> list[ReportFilter]:
    """Places, teams and periods whose spans come in odd and even numbers."""
    wide = ReportFilter(date(2025, 5, 1), date(2025, 7, 31))
    cases = [JUNE, wide, ReportFilter(date(2025, 6, 15), date(2025, 6, 15))]
    cases += [ReportFilter(JUNE.start, JUNE.end, province) for province in ("01", "79")]
    cases += [ReportFilter(JUNE.start, JUNE.end, commune_code=c) for c, _ in PLACES]
    cases += [ReportFilter(wide.start, wide.end, team_id=team) for team in (1, 2, 3)]
    cases.append(ReportFilter(date(2024, 1, 1), date(2024, 1, 31)))  # nothing at all
    for day in range(1, 31):  # single days: small counts of both parities, and 1
        cases.append(ReportFilter(date(2025, 6, day), date(2025, 6, day)))
    return cases


async def fill_through_the_orm(engine: AsyncEngine, data: Data) -> None:
    """Requests first, then the shuffled events in several flushes, as the bot writes them."""
    async with session_factory(engine).begin() as session:
        session.add_all(TeamRow(**row) for row in data.teams)
        await session.flush()
        session.add_all(PersonRow(**row) for row in data.people)
        await session.flush()
        session.add_all(HelpRequestRow(**row) for row in data.requests)
        await session.flush()
        for at in range(0, len(data.events), 97):
            session.add_all(RequestEventRow(**row) for row in data.events[at : at + 97])
            await session.flush()
        session.add_all(FieldLogRow(**row) for row in data.field_logs)


async def compare(engine: AsyncEngine) -> list[Report]:
    """Every filter's report, new and old, must be equal; returns the new ones."""
    reports = []
    for report_filter in filters():
        async with session_factory(engine)() as session:
            new = await build_report(session, report_filter, now=NOW)
        async with session_factory(engine)() as session:
            old = await old_build_report(session, report_filter)
        assert replace(new, generated_at=old.generated_at) == old, report_filter
        reports.append(new)
    return reports


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_database_figures_equal_the_row_by_row_ones(engine: AsyncEngine, seed: int) -> None:
    data = generate(seed)
    assert data.backwards > 5  # claims before the request was created are in the data...
    await fill_through_the_orm(engine, data)
    reports = await compare(engine)

    # ...and so are the cases the interpolation must get right.
    counts = {r.wait.count for r in reports} | {r.handling.count for r in reports}
    assert any(n % 2 == 0 and n > 0 for n in counts)
    assert any(n % 2 == 1 for n in counts)
    assert {0, 1} <= counts
    whole = reports[1]
    assert whole.wait.count > 50
    assert whole.handling.count > 50
    assert whole.citizens.chat > whole.wait.count  # claimed requests whose wait is left out
    assert any(v.name and "[số điện thoại]" in v.name for v in whole.volunteers)


def test_the_data_has_ties_and_microseconds() -> None:
    data = generate(1)
    spans = [e["at"] - _request_created(data, e) for e in data.events if e["kind"] == "claimed"]
    assert len(spans) - len(set(spans)) > 20  # many equal waits
    assert any(e["at"].microsecond for e in data.events)


# --- Data written before migration 0009: the migration fills the copies -----------------------


@pytest.fixture(params=["sqlite", "postgres"])
def url_at_0008(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        url = postgres_url()
        if not url:
            pytest.skip("PostgreSQL: set TROLYSO_TEST_POSTGRES_URL or run `make test`")
        asyncio.run(_reset_postgres(url))
    upgrade(url, "0008")
    return url


async def _fill_at_0008(url: str, data: Data) -> None:
    # Core inserts of the columns revision 0008 has (no first_*_at yet; no ORM listener).
    engine = create_engine(url)
    async with engine.begin() as connection:
        for model, rows in (
            (TeamRow, data.teams),
            (PersonRow, data.people),
            (HelpRequestRow, data.requests),
            (RequestEventRow, data.events),
            (FieldLogRow, data.field_logs),
        ):
            await connection.execute(insert(model.__table__), rows)  # type: ignore[arg-type]
    await engine.dispose()


def test_migration_0009_fills_the_first_times(url_at_0008: str) -> None:
    data = generate(4)
    asyncio.run(_fill_at_0008(url_at_0008, data))
    upgrade(url_at_0008)

    async def check() -> None:
        engine = create_engine(url_at_0008)
        try:
            reports = await compare(engine)
        finally:
            await engine.dispose()
        assert reports[0].handling.count > 20

    asyncio.run(check())


async def test_stale_counts_are_corrected_before_ranking(engine: AsyncEngine) -> None:
    """On PostgreSQL, requests may arrive between the count and the ranking: ask again."""
    await fill_through_the_orm(engine, generate(5))
    async with session_factory(engine)() as session:
        report = await build_report(session, JUNE, now=NOW)
        truth = {"wait": report.wait, "handling": report.handling}
        scope = request_scope(JUNE)
        for stale in (
            {"wait": report.wait.count + 1, "handling": report.handling.count - 1},
            {"wait": 0, "handling": 3},
        ):
            assert await span_durations(session, scope, stale) == truth
