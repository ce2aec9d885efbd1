"""Benchmark the web console: server time per page on a year of one province's activity.

Builds a database with 100,000 help requests over the last 365 days in one province (100
communes; bench/bench_report.py's generator), their events and field logs, a question log of
about 400,000 questions, volunteer profiles (a quarter on duty, one or two communes each),
invite codes and 2,000 open missed questions; then loads every page (overview, requests,
missed questions, content versions, the content studio, content files, reports, support,
team, field-log upload) many times through the real ASGI application, signed in as an
operator and as a team leader, and prints the median and the 95th percentile of the server
time per page. Target: under 300 ms each.

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
from typing import Any

import httpx
from sqlalchemy import insert, select
from starlette.applications import Starlette

from bench.bench_report import MONTH, fill
from bot.dialogue import Dialogue
from bot.features.console.links import issue_link
from bot.features.console.web import Console, console_mount
from bot.matching import build_matcher
from bot.published import LiveContent
from bot.support.common import Turn
from content.loader import load_content
from intents.places import Places
from storage import create_engine, session_factory
from storage.console_models import MissedQuestionRow, QuestionLogRow
from storage.migrate import upgrade
from storage.models import InviteRow, PersonRow, TeamRow, VolunteerCommuneRow, VolunteerRow
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


MISSED_WORDS = (
    "đăng ký học bơi cho con",
    "mất con mèo thì báo ai",
    "đổi bằng lái xe ở đâu",
    "tra cứu điểm thi",
    "xin giấy xác nhận độc thân",
    "đóng tiền điện qua app nào",
    "lịch cắt điện tuần này",
    "vé xe khách tết",
)


async def add_support(url: str, missed: int = 2_000, seed: int = 5) -> dict[str, int]:
    """Volunteer profiles and communes, three invite codes per team, open missed questions."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            found = await session.execute(select(TeamRow.id, TeamRow.commune_code))
            teams: dict[int, str] = {int(team_id): str(code) for team_id, code in found}
            province = (await session.execute(select(TeamRow.province_code))).scalars().first()
            volunteers = list(
                (
                    await session.execute(
                        select(PersonRow.id, PersonRow.team_id).where(
                            PersonRow.role == "volunteer"
                        )
                    )
                ).tuples()
            )
            codes = sorted(set(teams.values()))
            topics = ["vneid", "public_services", "cashless_payment", "digital_skills"]
            profiles, served = [], []
            for person_id, team_id in volunteers:
                profiles.append(
                    {
                        "person_id": person_id,
                        "skills": rng.sample(topics, rng.randint(0, 2)),
                        "on_duty": rng.random() < 0.25,
                        "max_sessions": 2,
                    }
                )
                mine = {teams[team_id]} if team_id in teams else set()
                if rng.random() < 0.5:
                    mine.add(rng.choice(codes))
                served += [{"person_id": person_id, "commune_code": c} for c in sorted(mine)]
            await session.execute(insert(VolunteerRow), profiles)
            await session.execute(insert(VolunteerCommuneRow), served)
            invites = [
                {
                    "code": f"B{team_id:05d}{n}X",
                    "team_id": team_id,
                    "created_by": None,
                    "max_uses": 5,
                    "uses": n,
                    "expires_at": now + timedelta(days=7 - 3 * n),
                    "created_at": now - timedelta(days=3 * n),
                }
                for team_id in teams
                for n in range(3)
            ]
            await session.execute(insert(InviteRow), invites)
            rows = [
                {
                    "at": now - timedelta(minutes=rng.randrange(30 * 24 * 60)),
                    "channel": "telegram",
                    "reason": rng.choice(("fallback", "unhelpful")),
                    "text": rng.choice(MISSED_WORDS) + rng.choice(("", " ạ", " vậy", " không")),
                    "status": "open",
                    "province_code": province,
                    "commune_code": rng.choice(codes),
                }
                for _ in range(missed)
            ]
            await session.execute(insert(MissedQuestionRow), rows)
        return {"profiles": len(profiles), "invites": len(invites), "missed": missed}
    finally:
        await engine.dispose()


def live_content(sessions: Any) -> LiveContent:
    """The shipped content, as a worker serves it (missed questions and versions need it)."""
    content = load_content(Path("content"))
    dialogue = Dialogue(content, build_matcher(content))
    return LiveContent(content, dialogue, sessions)


async def people(url: str) -> dict[str, int]:
    """An operator and the leader of team 5 (the generator's teams have ids from 1)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            signed = await session.execute(
                select(PersonRow.handle, PersonRow.id).where(
                    PersonRow.handle.in_(["BENCHOP", "BENCHLD"])
                )
            )
            found = {str(handle): int(person_id) for handle, person_id in signed}
            if len(found) == 2:  # --reuse: signed in before
                return {"operator": found["BENCHOP"], "leader": found["BENCHLD"]}
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
    console = Console(
        sessions, Places.load(), lambda: datetime.now(UTC), live=live_content(sessions)
    )
    app = Starlette(routes=[console_mount(console)])
    today = datetime.now(UTC).astimezone(VIETNAM).date()
    year = f"tu={today - timedelta(days=364)}&den={today}"
    pages = {
        "overview": "/admin/",
        "requests (waiting)": "/admin/requests",
        "requests (all, page 1)": "/admin/requests?trang-thai=tat-ca",
        "requests (all, page 40)": "/admin/requests?trang-thai=tat-ca&trang=40",
        "one request": "/admin/requests/HT00050000",
        "audit log": "/admin/audit",
        "missed questions": "/admin/missed",
        "content versions": "/admin/versions",
        "reports (this month)": "/admin/reports",
        "reports (a year)": f"/admin/reports?{year}",
        "support": "/admin/support",
        "support: team": "/admin/support/team",
        "support: field logs": "/admin/support/fieldlogs",
        "content studio": "/admin/content",
        "content studio: search": "/admin/content?q=vneid",
        "content studio: edit": "/admin/content/dvc.login",
        "content files": "/admin/content/files",
        "local details": "/admin/local",
        "help days": "/admin/helpdays",
        "campaigns": "/admin/campaigns",
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
            print("support:", asyncio.run(add_support(url)))
        who = asyncio.run(people(url))
        asyncio.run(measure(url, args.loads, who))


if __name__ == "__main__":
    main()
