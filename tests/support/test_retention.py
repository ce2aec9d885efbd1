"""`Bot.purge` on a database that holds old and new rows of every kind it purges.

Two whole support sessions, 181 days apart, plus the rows only channels write (stored
deliveries, delivery ids, undeliverable and pending messages) and failed code attempts.
After the purge: every old row of a purged kind is gone or blanked, every new row stays,
and pending outgoing messages stay whatever their age.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import Bot
from storage import session_factory
from storage.attempts import AttemptRepository
from storage.console_models import QuestionLogRow
from storage.inbox import InboxRepository
from storage.models import (
    AttemptRow,
    ConversationRow,
    HelpRequestRow,
    InboundEventRow,
    OutboxRow,
    ProcessedUpdateRow,
    RelayMessageRow,
    TimerRow,
)
from storage.outbox import OutboxRepository
from storage.timers import TimerRepository
from storage.updates import first_delivery
from tests.support.conftest import FakeClock, Person, claim_payload
from tests.support.test_sessions import ask_for_help, make_team


async def a_whole_session(people, lan: Person, name: str, phone: str) -> None:
    """Request (with a phone number), claim, words both ways, end: every timer settles."""
    citizen = people(name)
    await ask_for_help(citizen, mode="Gọi điện", phone=phone)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.inbox()
    await citizen.say("chau oi giup bac voi")
    await lan.inbox()
    await lan.say("Bác mở ứng dụng VNeID nhé")
    await citizen.inbox()
    await lan.say("/ketthuc")
    await citizen.inbox()


async def channel_rows(bot: Bot, tag: str) -> None:
    """What channels and the code checks write besides conversations."""
    now = bot.clock()
    async with bot.sessions.begin() as session:
        outbox = OutboxRepository(session)
        await outbox.add("telegram", f"waiting-{tag}", "chưa gửi được", now=now)
        dead = await outbox.add("telegram", f"blocked-{tag}", "bị chặn", now=now)
        await outbox.mark_failed(dead, "blocked: 403", final=True)
        await InboxRepository(session).receive("telegram", f"update-{tag}", None, now)
        assert await first_delivery(session, "telegram", f"update-{tag}", now)
        await AttemptRepository(session).record("invite", [f"chat-{tag}"], now)
        await TimerRepository(session).schedule("escalate", now)  # due, not run yet


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    """Every purged table, as (id, time, and what matters) tuples."""
    queries: dict[str, Select[Any]] = {
        "relays": select(RelayMessageRow.id, RelayMessageRow.at),
        "outbox": select(OutboxRow.id, OutboxRow.created_at, OutboxRow.status),
        "timers": select(TimerRow.id, TimerRow.done_at),
        "inbox": select(InboundEventRow.id, InboundEventRow.received_at),
        "update_ids": select(ProcessedUpdateRow.update_id, ProcessedUpdateRow.at),
        "attempts": select(AttemptRow.id, AttemptRow.at),
        "questions": select(QuestionLogRow.id, QuestionLogRow.at),
        "conversations": select(ConversationRow.user_id, ConversationRow.updated_at),
        "requests": select(
            HelpRequestRow.id,
            HelpRequestRow.created_at,
            HelpRequestRow.description,
            HelpRequestRow.phone,
        ),
    }
    async with session_factory(engine)() as session:
        return {
            name: sorted(tuple(row) for row in (await session.execute(query)).all())
            for name, query in queries.items()
        }


def new(rows: list[tuple[object, ...]], since: datetime) -> list[tuple[object, ...]]:
    """The rows stamped at or after `since` (the time is each tuple's second item)."""
    return [row for row in rows if row[1] is not None and row[1] >= since]  # type: ignore[operator]


async def test_purge_removes_old_rows_of_every_kind_and_keeps_new_ones(
    people, bot: Bot, clock: FakeClock, engine: AsyncEngine
):
    _, lan, _ = await make_team(people)
    await a_whole_session(people, lan, "old-citizen", "0912345678")
    await channel_rows(bot, "old")
    clock.advance(days=181)
    boundary = clock()
    await a_whole_session(people, lan, "new-citizen", "0987654321")
    await channel_rows(bot, "new")
    before = await snapshot(engine)
    for kind in ("relays", "outbox", "timers", "inbox", "update_ids", "attempts"):
        rows = before[kind]
        assert new(rows, boundary), kind  # there is something new to keep...
        assert len(new(rows, boundary)) < len(rows), kind  # ...and something old to purge

    counts = await bot.purge()

    after = await snapshot(engine)
    for kind in ("relays", "inbox", "update_ids", "attempts", "questions"):
        assert after[kind] == new(before[kind], boundary), kind
    # Conversations are stamped by the bot's clock: those idle since before the boundary go.
    assert new(before["conversations"], boundary) != before["conversations"]
    assert after["conversations"] == new(before["conversations"], boundary)
    not_run = [row for row in before["timers"] if row[1] is None]
    assert len(not_run) == 2  # an old and a new timer that must still run
    assert after["timers"] == sorted(not_run + new(before["timers"], boundary))
    old_pending = [r for r in before["outbox"] if r[1] < boundary and r[2] == "pending"]  # type: ignore[operator]
    assert old_pending  # the message still waiting for its channel...
    assert after["outbox"] == sorted(old_pending + new(before["outbox"], boundary))  # ...stays
    old_request, new_request = before["requests"]
    assert old_request[2:] != ("", None)
    assert after["requests"] == [(*old_request[:2], "", None), new_request]
    assert counts == {
        "messages": len(before["relays"]) - len(after["relays"]),
        "notifications": len(before["outbox"]) - len(after["outbox"]),
        "descriptions": 1,
        "update_ids": 2,  # one delivery id and one stored delivery
        "timers": len(before["timers"]) - len(after["timers"]),
        "attempts": len(before["attempts"]) - len(after["attempts"]),
        "questions": len(before["questions"]) - len(after["questions"]),
        "conversations": len(before["conversations"]) - len(after["conversations"]),
    }
    assert set((await bot.purge()).values()) == {0}  # nothing more to do
