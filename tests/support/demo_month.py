"""Playing the demo month once for a whole test module: it takes seconds, not milliseconds.

`play` runs `seed_demo` on a fresh database through the same Bot the support tests use; the
SQLite file it leaves is copied for any test that changes it.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.assistant import Assistant
from bot.demo import VIETNAM, DemoSummary, seed_demo
from bot.dialogue import Dialogue
from bot.features.reports.chat import ChatReports
from bot.services import Bot, Clock
from bot.support.common import SupportConfig, Toolkit
from content import Content
from intents import Matcher
from intents.places import Places
from storage import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import FieldLogRow, HelpRequestRow, IdentityRow, RequestEventRow

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam, as tests/support
TODAY = START.astimezone(VIETNAM).date()  # 2026-11-23


@dataclass(frozen=True)
class Played:
    path: Path  # the SQLite file holding the month
    summary: DemoSummary
    seconds: float

    def copy(self, where: Path) -> str:
        """A private copy of the month's database, as a URL."""
        target = where / "demo-copy.db"
        shutil.copy(self.path, target)
        return f"sqlite+aiosqlite:///{target}"


def make_bot(
    engine: AsyncEngine, content: Content, matcher: Matcher, places: Places, clock: Clock
) -> Bot:
    """The Bot the support tests use, with the default timeouts (as `trolyso demo`)."""
    kit = Toolkit(content.support, places, SupportConfig())
    assistant = Assistant(Dialogue(content, matcher), kit, ChatReports(kit))
    return Bot(assistant, session_factory(engine), clock)


async def play_on(
    url: str, content: Content, matcher: Matcher, places: Places, seed: int
) -> DemoSummary:
    engine = create_engine(url)
    try:
        bot = make_bot(engine, content, matcher, places, lambda: START)
        return await seed_demo(bot, today=TODAY, seed=seed, now=START)
    finally:
        await engine.dispose()


def play(path: Path, content: Content, matcher: Matcher, places: Places, seed: int = 7) -> Played:
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    began = datetime.now(UTC)
    summary = asyncio.run(play_on(url, content, matcher, places, seed))
    return Played(path, summary, (datetime.now(UTC) - began) / timedelta(seconds=1))


async def describe(session: AsyncSession) -> list[Any]:
    """Everything the seed decides (reference codes, handles, pseudonyms are random)."""
    who = {
        i.person_id: i.external_id for i in (await session.execute(select(IdentityRow))).scalars()
    }
    events: dict[int, list[RequestEventRow]] = {}
    for event in (
        await session.execute(select(RequestEventRow).order_by(RequestEventRow.id))
    ).scalars():
        events.setdefault(event.request_id, []).append(event)
    requests = (
        await session.execute(select(HelpRequestRow).order_by(HelpRequestRow.id))
    ).scalars()
    described: list[Any] = [
        (
            r.status,
            r.topic,
            r.mode,
            r.commune_code,
            r.phone,
            r.description,
            r.created_at,
            r.outcome,
            tuple(r.services),
            r.rating,
            r.rating_comment,
            r.citizen_external_id,
            who.get(r.volunteer_id or 0),
            tuple(
                (e.kind, e.at, who.get(e.actor_id or 0), tuple(sorted(e.detail.items())))
                for e in events[r.id]
            ),
        )
        for r in requests
    ]
    logs = (await session.execute(select(FieldLogRow).order_by(FieldLogRow.id))).scalars()
    described += [
        (f.day, f.commune_code, f.volunteer_name, f.place, tuple(f.services), f.citizens_helped)
        for f in logs
    ]
    return described
