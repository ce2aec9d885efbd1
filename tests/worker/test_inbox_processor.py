"""Stored deliveries processed under a lease: each chat in order, once, by any worker.

Two processors on one database stand for two workers behind a load balancer. Their handler
settles the row by its id the way `Bot.answer(event_id=...)` does, and records what ran when.
(Reworked from the h-webhook branch: a failed row no longer holds up its chat, and the
worker's round takes only replays.)
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.inbox_processor import InboxProcessor
from storage import session_factory
from storage.inbox import InboxRepository
from storage.inbox_claims import InboxClaims
from storage.models import InboundEventRow
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)

CHANNEL = "zalobot"


def _now() -> datetime:
    return datetime.now(UTC)


async def _store(sessions: async_sessionmaker[Any], chats: int, per_chat: int) -> None:
    """Deliveries arriving interleaved, as a burst does: chat 0 #0, chat 1 #0, ..."""
    async with sessions.begin() as session:
        await InboxRepository(session).receive_many(
            [
                (CHANNEL, f"m{chat}-{n}", {"chat": f"c{chat}", "n": n}, f"c{chat}", _now())
                for n in range(per_chat)
                for chat in range(chats)
            ]
        )


class Recorder:
    """The handler of every processor: checks one chat never runs twice at once."""

    def __init__(self, sessions: async_sessionmaker[Any]) -> None:
        self.sessions = sessions
        self.done: list[tuple[str, int, str]] = []  # chat, position, worker
        self.in_hand: set[str] = set()
        self.overlaps = 0

    def handler(self, worker: str) -> Any:
        async def handle(event_id: int, payload: dict[str, Any]) -> None:
            chat = payload["chat"]
            if chat in self.in_hand:
                self.overlaps += 1
            self.in_hand.add(chat)
            try:
                await asyncio.sleep(random.uniform(0, 0.01))
                async with self.sessions.begin() as session:
                    settled = await InboxClaims(session).settle(event_id, _now())
                assert settled  # nobody else handled it
                self.done.append((chat, payload["n"], worker))
            finally:
                self.in_hand.discard(chat)

        return handle


async def test_two_workers_answer_each_chat_in_order_and_once(engine: AsyncEngine) -> None:  # noqa: F811
    sessions = session_factory(engine)
    chats, per_chat = 40, 4
    await _store(sessions, chats, per_chat)
    recorder = Recorder(sessions)
    workers = [
        InboxProcessor(sessions, CHANNEL, recorder.handler(name), _now, concurrency=2)
        for name in ("a", "b")
    ]
    for worker in workers:  # both were told of new rows, as two webhooks would tell them
        worker.wake()
    await asyncio.wait_for(asyncio.gather(*(w.drain() for w in workers)), 60)
    for worker in workers:  # a last look: nothing is left for anyone
        assert await worker.replay() == 0
    assert len(recorder.done) == chats * per_chat  # every delivery, none twice
    assert len(set(recorder.done)) == chats * per_chat
    for chat in range(chats):
        order = [n for c, n, _ in recorder.done if c == f"c{chat}"]
        assert order == list(range(per_chat)), f"chat {chat} answered out of order: {order}"
    assert recorder.overlaps == 0  # one chat never in two hands at once
    assert {worker for *_, worker in recorder.done} == {"a", "b"}  # both did work
    async with sessions() as session:
        rows = list((await session.execute(select(InboundEventRow))).scalars())
    assert all(row.handled_at is not None and row.attempts == 0 for row in rows)


async def test_a_dead_workers_rows_are_replayed_after_the_lease_a_live_ones_never(
    engine: AsyncEngine,  # noqa: F811
) -> None:
    sessions = session_factory(engine)
    await _store(sessions, 2, 2)
    # Worker "dead" took the oldest row of each chat, then died (kill -9): nothing settles them.
    lease = timedelta(seconds=60)
    async with sessions.begin() as session:
        taken = await InboxClaims(session).claim(
            CHANNEL, _now(), _now() + lease, 10, max_attempts=5, stalled=_now() - lease
        )
    assert [(row.payload or {})["n"] for row in taken] == [0, 0]  # one per chat, the oldest
    recorder = Recorder(sessions)
    later = timedelta()  # the live worker's clock, moved by hand (a loaded machine is slow)

    def clock() -> datetime:
        return _now() + later

    alive = InboxProcessor(sessions, CHANNEL, recorder.handler("alive"), clock)
    alive.configure(retry_after=lease, max_attempts=5)
    assert await alive.replay() == 0  # held by a lease still running: neither they nor the
    await alive.drain()  # chats' later rows are taken
    assert recorder.done == []
    later = lease + timedelta(seconds=1)
    assert await alive.replay() == 2  # the lease ran out: replayed, then the rest in order
    await asyncio.wait_for(alive.drain(), 30)
    assert sorted(recorder.done) == [
        ("c0", 0, "alive"),
        ("c0", 1, "alive"),
        ("c1", 0, "alive"),
        ("c1", 1, "alive"),
    ]
    async with sessions() as session:
        rows = list((await session.execute(select(InboundEventRow).order_by("id"))).scalars())
    assert [row.attempts for row in rows][:2] == [1, 1]  # the replays counted as attempts


async def test_a_slow_answer_keeps_its_lease(engine: AsyncEngine) -> None:  # noqa: F811
    """A live worker renews the leases of the rows it processes: nobody replays them."""
    sessions = session_factory(engine)
    await _store(sessions, 1, 1)
    # Renewed every 0.2 s: a loaded CI machine once stalled a 0.3 s lease's renewal past it.
    lease = timedelta(seconds=0.6)
    release = asyncio.Event()
    started = asyncio.Event()
    handled: list[str] = []

    def slow(name: str) -> Any:
        async def handle(event_id: int, payload: dict[str, Any]) -> None:
            handled.append(name)
            started.set()
            await release.wait()
            async with sessions.begin() as session:
                await InboxClaims(session).settle(event_id, _now())

        return handle

    busy = InboxProcessor(sessions, CHANNEL, slow("busy"), _now, lease=lease)
    other = InboxProcessor(sessions, CHANNEL, slow("other"), _now, lease=lease)
    busy.wake()
    await asyncio.wait_for(started.wait(), 10)
    other.wake()  # its live claims find nothing either
    for _ in range(6):  # 1.8 s: three leases' worth
        await asyncio.sleep(lease.total_seconds() / 2)
        assert await other.replay() == 0
    release.set()
    await asyncio.wait_for(busy.drain(), 10)
    assert handled == ["busy"]


async def test_a_failed_delivery_is_tried_again_after_the_wait(engine: AsyncEngine) -> None:  # noqa: F811
    sessions = session_factory(engine)
    await _store(sessions, 1, 2)
    calls: list[int] = []

    async def flaky(event_id: int, payload: dict[str, Any]) -> None:
        calls.append(payload["n"])
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        async with sessions.begin() as session:
            await InboxClaims(session).settle(event_id, _now())

    # The processor's clock, moved by hand: "not yet due" must not depend on how fast a
    # loaded machine gets from one line to the next.
    later = timedelta()

    def clock() -> datetime:
        return _now() + later

    worker = InboxProcessor(sessions, CHANNEL, flaky, clock)
    worker.configure(retry_after=timedelta(seconds=60), max_attempts=5)
    worker.wake()
    await asyncio.wait_for(worker.drain(), 10)
    # The chat's second message is not held up by the failed first one: the first is
    # retried after the wait (a replay), out of order, rather than silence the chat.
    assert calls == [0, 1]
    assert await worker.replay() == 0  # not yet due
    later = timedelta(seconds=61)
    assert await worker.replay() == 1
    await asyncio.wait_for(worker.drain(), 10)
    assert calls == [0, 1, 0]
    async with sessions() as session:
        rows = list((await session.execute(select(InboundEventRow).order_by("id"))).scalars())
    assert [(row.attempts, row.handled_at is not None) for row in rows] == [(1, True), (0, True)]


async def test_a_stopping_worker_gives_back_the_rows_it_has_not_started(
    engine: AsyncEngine,  # noqa: F811
) -> None:
    sessions = session_factory(engine)
    await _store(sessions, 6, 1)
    release = asyncio.Event()
    started: list[int] = []
    first = asyncio.Event()

    async def slow(event_id: int, payload: dict[str, Any]) -> None:
        started.append(payload["n"])
        first.set()
        await release.wait()
        async with sessions.begin() as session:
            await InboxClaims(session).settle(event_id, _now())

    stopping = InboxProcessor(sessions, CHANNEL, slow, _now, concurrency=1)
    stopping.wake()
    await asyncio.wait_for(first.wait(), 10)
    assert stopping.busy == 4  # one running, three held waiting for the slot (4 x 1)
    stop = asyncio.ensure_future(stopping.stop())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(stop, 10)
    assert len(started) == 1
    recorder = Recorder(sessions)
    successor = InboxProcessor(sessions, CHANNEL, recorder.handler("next"), _now)
    successor.wake()  # the three given back and the two never taken: at once, untried
    await asyncio.wait_for(successor.drain(), 10)
    assert len(recorder.done) == 5
    async with sessions() as session:
        rows = list((await session.execute(select(InboundEventRow))).scalars())
    assert all(row.handled_at is not None and row.attempts == 0 for row in rows)


async def test_a_claim_that_fails_is_tried_again_without_a_new_delivery(
    engine: AsyncEngine,  # noqa: F811
) -> None:
    """A passing fault in a claim (a dropped connection, a conflict between two workers) once
    ended the claim loop for good: rows waited until the next webhook or the worker's round.
    Now the loop tries again in a moment."""
    from sqlalchemy.exc import OperationalError

    sessions = session_factory(engine)
    await _store(sessions, 3, 2)
    recorder = Recorder(sessions)

    class Flaky(InboxProcessor):
        faults = 2

        async def _claim(self, *, replays_only: bool = False) -> Any:
            if self.faults:
                self.faults -= 1
                raise OperationalError("claim", {}, ConnectionResetError("reset by peer"))
            return await super()._claim(replays_only=replays_only)

    worker = Flaky(sessions, CHANNEL, recorder.handler("a"), _now)
    worker.wake()
    await asyncio.wait_for(worker.drain(), 30)
    assert worker.faults == 0
    assert sorted(recorder.done) == [(f"c{c}", n, "a") for c in range(3) for n in range(2)]


async def test_a_claim_takes_each_chats_first_open_row_among_many_settled(
    engine: AsyncEngine,  # noqa: F811
) -> None:
    """The claim reads each chat's first open row in one pass (the planner once made the "no
    earlier open row" test quadratic on a burst's table): settled rows, rows held by a lease
    and rows waiting for a retry are each placed right."""
    sessions = session_factory(engine)
    await _store(sessions, 4, 3)  # ids: chat c0 #0, c1 #0, ..., c3 #2
    now = _now()
    async with sessions.begin() as session:
        ids = {
            (chat, n): id_
            for id_, chat, n in (
                (row.id, row.chat, (row.payload or {})["n"])
                for row in (await session.execute(select(InboundEventRow))).scalars()
            )
        }
        claims = InboxClaims(session)
        await claims.settle(ids[("c0", 0)], now)  # c0: #0 answered, #1 is next
        # c1: #0 failed, its retry not due: #1 goes ahead
        await claims.postpone(ids[("c1", 0)], now + timedelta(minutes=5))
        # c2: #0 held by a live lease: nothing of c2 can be taken
        await claims.renew([ids[("c2", 0)]], now + timedelta(minutes=1))
        # c3: #0 failed and its retry is due: #0 again, before #1
        await claims.postpone(ids[("c3", 0)], now - timedelta(seconds=1))
    async with sessions.begin() as session:
        taken = await InboxClaims(session).claim(
            CHANNEL,
            now,
            now + timedelta(minutes=1),
            10,
            max_attempts=5,
            stalled=now - timedelta(minutes=1),
        )
    got = [((row.payload or {})["chat"], (row.payload or {})["n"], row.replay) for row in taken]
    assert got == [("c3", 0, True), ("c0", 1, False), ("c1", 1, False)]
    async with sessions.begin() as session:  # a second claim finds them all held
        again = await InboxClaims(session).claim(
            CHANNEL,
            now,
            now + timedelta(minutes=1),
            10,
            max_attempts=5,
            stalled=now - timedelta(minutes=1),
        )
    assert again == []
