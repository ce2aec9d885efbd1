"""Sending while the database is down: a message the platform accepted is never sent twice.

Reproduces issue 11 §14: a reply sent while PostgreSQL was down could not be marked sent, its
lease expired and it went out again (20 duplicate answers in a 10-second outage).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.services import Bot
from storage.models import OutboxRow
from storage.outbox import OutboxRepository
from tests.channels.conftest import FakeClock
from tests.channels.zalo_bot import CHAT, harness


async def test_a_sent_row_the_database_could_not_mark_is_marked_later_not_resent(
    bot: Bot, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle_sent = OutboxRepository.settle_sent_many  # rows sent meanwhile are marked together
    down = True

    async def flaky(self: OutboxRepository, *args: object, **kwargs: object) -> None:
        if down:
            raise OperationalError("UPDATE outbox", {}, ConnectionResetError())
        await settle_sent(self, *args, **kwargs)  # type: ignore[arg-type]

    async with harness(bot) as channel:
        async with bot.sessions.begin() as session:
            await OutboxRepository(session).add("zalobot", CHAT, "Tin thứ nhất", now=clock())
        monkeypatch.setattr(OutboxRepository, "settle_sent_many", flaky)
        dispatcher = channel.runtime.dispatcher
        await dispatcher.flush()
        assert channel.api.sent(CHAT) == ["Tin thứ nhất"]
        clock.advance(minutes=5)  # long after the lease: the row is still "pending"
        with pytest.raises(OperationalError):
            await dispatcher.flush()  # still down: nothing is sent again
        assert channel.api.sent(CHAT) == ["Tin thứ nhất"]
        down = False
        await dispatcher.flush()
        await dispatcher.flush()
        assert channel.api.sent(CHAT) == ["Tin thứ nhất"]  # once
        async with bot.sessions() as session:
            [row] = (await session.execute(select(OutboxRow))).scalars().all()
        assert row.status == "sent"
