"""What fails around background work, on real parts: the database (SQLite, PostgreSQL), the
core and the channel adapters are real; only the platform and the clock are fake.

- a database error in the middle of a claim leaves nothing half-written, and a retry works;
- a delivery that fails on every replay is given up where people see it: the sender is
  asked to write again, the operators are told in the chat, the log and /metrics count it;
- two workers on one database run each due timer once and replay each stalled delivery once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import Bot
from bot.worker import Worker
from storage import create_engine, session_factory
from storage.inbox import InboxRepository
from storage.models import Base, HelpRequestRow, InboundEventRow, RequestEventRow, TimerRow
from tests.channels.zalo_bot import FakeZaloBotApi, harness, make_runtime, text_event
from tests.support.conftest import FakeClock, claim_payload, texts
from tests.support.test_sessions import ask_for_help, make_team
from tests.worker.faults import refused_inserts

POISON = "0a1b2c3d4e5f60718293"  # a Zalo Bot chat whose every message fails in the database
WORDS = "chau oi toi khong vao duoc vneid 0912345678"


async def everything(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: to show that nothing changed at all."""
    async with session_factory(engine)() as session:
        return {
            table.name: [
                tuple(row)
                for row in (
                    await session.execute(table.select().order_by(*table.primary_key.columns))
                ).all()
            ]
            for table in Base.metadata.sorted_tables
        }


async def test_a_database_error_in_the_middle_of_a_claim_leaves_nothing_half_written(
    people, bot: Bot, engine: AsyncEngine
) -> None:
    """The claim's statements run in order: the request is taken, the event written, the
    waiting timers cancelled, the idle timer set, the other volunteer's notice edited; then
    the citizen's notice fails. Not one of the earlier statements may survive."""
    _, lan, minh = await make_team(people)
    citizen = people("citizen")
    ref = await ask_for_help(citizen)
    payload = claim_payload(await lan.inbox())
    assert ref in texts(await minh.inbox())  # sent, so the claim edits it
    before = await everything(engine)
    assert before["timers"]  # escalate and give-up timers wait

    async with refused_inserts(engine, "outbox", "NEW.external_id = 'citizen'"):
        with pytest.raises(DBAPIError, match="injected failure"):
            await lan.send_payload(payload)

    assert await everything(engine) == before
    won = texts(await lan.send_payload(payload))  # the volunteer presses again
    assert "đã nhận yêu cầu" in won
    assert "đã nhận yêu cầu" in texts(await citizen.inbox())
    assert "đã có tình nguyện viên khác nhận" in texts(await minh.inbox())
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert request.status == "active"
        claims = await session.scalar(
            select(func.count()).where(RequestEventRow.kind == "claimed")
        )
        assert claims == 1
        waiting = await session.scalars(select(TimerRow.kind).where(TimerRow.done_at.is_(None)))
        assert list(waiting) == ["idle"]


def scraped(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


async def test_a_delivery_that_fails_every_replay_is_given_up_where_people_see_it(
    people, bot: Bot, clock: FakeClock, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    operator = people("operator")
    await operator.say("/toi")  # the operator has written to the bot once
    await operator.inbox()
    async with (
        harness(bot) as channel,
        refused_inserts(engine, "conversations", f"NEW.user_id = '{POISON}'"),
    ):
        with caplog.at_level(logging.INFO):
            response = await channel.person(POISON).post(text_event(WORDS, POISON))
            assert response.status_code == 200  # stored and acknowledged
            worker = Worker(bot, [channel.runtime], max_replays=3)
            rounds = []
            for _ in range(5):
                clock.advance(seconds=61)
                rounds.append(await worker.tick())
                await channel.runtime.drain()
        metrics = scraped((await channel.http.get("/metrics")).text)

    given_up = [r["given_up"] for r in rounds]
    # Given up once, after the third replay (in that round, or the next one when the third
    # replay still held its row then: the give-up skips rows another transaction holds).
    assert given_up in ([0, 0, 1, 0, 0], [0, 0, 0, 1, 0])
    assert sum(r["replayed"] for r in rounds) == 3
    # The citizen is asked to write again, once.
    assert channel.api.sent(POISON) == [bot.assistant.t("message_given_up")]
    # The operators read it in the chat, once per round that gave something up.
    [alert] = await operator.inbox()
    assert alert.text == bot.assistant.t("deliveries_given_up", channel="zalobot", count="1")
    # Prometheus counts it; the log says it with ids only.
    assert metrics[("trolyso_deliveries_given_up_total", (("channel", "zalobot"),))] == 1
    [line] = [r for r in caplog.records if r.getMessage().startswith("delivery given up")]
    assert line.levelno == logging.ERROR
    assert "channel=zalobot" in line.getMessage()
    assert "vneid" not in caplog.text
    assert "0912345678" not in caplog.text
    async with session_factory(engine)() as session:
        row = (await session.execute(select(InboundEventRow))).scalar_one()
    assert (row.attempts, row.payload, row.chat) == (3, None, None)
    assert row.handled_at is not None


async def test_two_workers_on_one_database_do_each_thing_once(
    people, bot: Bot, clock: FakeClock, database_url: str, engine: AsyncEngine
) -> None:
    """Two workers (each its own engine, as two processes) run their rounds at the same
    time: every due timer fires once, every stalled delivery is replayed once, and a delivery
    that failed every replay is given up once."""
    _, lan, minh = await make_team(people)
    citizens = [people(f"citizen-{n}") for n in range(4)]
    for citizen in citizens:
        await ask_for_help(citizen)
    await lan.inbox()
    await minh.inbox()
    chats = [f"chat-{n}" for n in range(4)]
    async with bot.sessions.begin() as session:  # stored by workers that died since
        inbox = InboxRepository(session)
        for chat in chats:
            event = text_event("cach cai vneid", chat, envelope=False)
            await inbox.receive("zalobot", event["message"]["message_id"], event, clock())
        record = {"v": 1, "channel": "zalobot", "chat": POISON, "kind": "text", "text": "x"}
        hopeless = await inbox.receive("zalobot", "hopeless", record, clock(), chat=POISON)
        assert hopeless is not None
        for _ in range(5):  # failed every replay already: to be given up, once
            await inbox.count_attempt(hopeless, clock())
    clock.advance(minutes=61)  # escalation and give-up due for all four requests

    other_engine = create_engine(database_url)
    other = Bot(bot.assistant, session_factory(other_engine), clock)
    api = FakeZaloBotApi()
    runtimes = [make_runtime(bot, api), make_runtime(other, api)]
    workers = [Worker(bot, [runtimes[0]]), Worker(other, [runtimes[1]])]
    try:
        for _ in range(3):
            rounds = await asyncio.gather(*(worker.tick() for worker in workers))
            await asyncio.gather(*(runtime.drain() for runtime in runtimes))
    finally:
        for runtime in runtimes:
            await runtime.stop()
        await other_engine.dispose()

    assert sum(r["replayed"] for r in rounds) == 0  # the last round found nothing left
    assert api.sent(POISON) == [bot.assistant.t("message_given_up")]
    for chat in chats:
        [answer] = api.sent(chat)
        assert "VNeID" in answer
    for citizen in citizens:
        told = texts(await citizen.inbox())
        assert told.count("Bộ phận một cửa") == 1
    async with session_factory(engine)() as session:
        events = list(await session.scalars(select(RequestEventRow.kind)))
        assert events.count("escalated") == 4
        assert events.count("unclaimed") == 4
        assert await session.scalar(select(func.count()).where(TimerRow.done_at.is_(None))) == 0
        stored = list(await session.scalars(select(InboundEventRow).order_by(InboundEventRow.id)))
    assert [(row.attempts, row.handled_at is not None) for row in stored] == [(1, True)] * 4 + [
        (5, True)
    ]
