"""The send rate is kept by all workers together: never more than the budget in any second."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy.exc import OperationalError

from bot.messages import Reply
from bot.send_budget import SendBudget, parse_rates
from bot.services import Bot
from storage.outbox import OutboxRepository
from tests.support.conftest import FakeClock

CHANNEL = "telegram"


class Platform:
    """The outside world: accepts everything, noting the (fake) second of each send."""

    channel = CHANNEL

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.seconds: list[int] = []

    async def send(self, external_id: str, reply: Reply) -> str | None:
        self.seconds.append(int(self.clock().timestamp()))
        await asyncio.sleep(0)
        return "m"

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        return await self.send(external_id, reply)


def fake_sleep(clock: FakeClock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    return sleep


async def test_two_workers_share_ten_messages_a_second(bot: Bot, clock: FakeClock) -> None:
    async with bot.sessions.begin() as session:
        outbox = OutboxRepository(session)
        for n in range(60):
            await outbox.add(CHANNEL, f"chat{n % 30}", f"tin {n}", now=clock())
    platform = Platform(clock)
    workers = [
        bot.dispatcher(
            platform, budget=SendBudget(bot.sessions, CHANNEL, 10, clock, sleep=fake_sleep(clock))
        )
        for _ in range(2)
    ]
    await asyncio.gather(*(w.flush(batch=20) for w in workers))
    await asyncio.gather(*(w.drain() for w in workers))
    for worker in workers:
        await worker.flush()
        await worker.drain()
    assert len(platform.seconds) == 60  # every message went out...
    per_second = Counter(platform.seconds)
    assert max(per_second.values()) <= 10, per_second  # ...never more than 10 in a second
    assert len(per_second) >= 6


async def test_each_channel_has_its_own_budget_and_the_eleventh_waits(
    bot: Bot, clock: FakeClock
) -> None:
    """Ten telegram messages in a second, then a wait; zalobot's budget is its own."""
    first = SendBudget(bot.sessions, CHANNEL, 10, clock, sleep=fake_sleep(clock))
    taken = 0
    for _ in range(10):
        await first.acquire()
        taken += 1
    second_channel = SendBudget(bot.sessions, "zalobot", 10, clock, sleep=fake_sleep(clock))
    start = clock()
    for _ in range(10):
        await second_channel.acquire()  # another platform's budget: not shared with telegram
    assert clock() == start  # no wait: each channel has its own budget
    await first.acquire()  # the 11th telegram message of the second waits for the next
    assert clock() > start
    assert taken == 10


async def test_without_the_database_a_worker_sends_at_its_own_share(
    bot: Bot, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = SendBudget(bot.sessions, CHANNEL, 10, clock, sleep=fake_sleep(clock))

    async def down(*args: object, **kwargs: object) -> int:
        raise OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr("storage.send_budget.SendBudgetRepository.take", down)
    start = clock()
    for _ in range(10):
        await budget.acquire()
    assert (clock() - start).total_seconds() >= 0.9  # 10 a second at most, not all at once


def test_rates_are_read_from_the_setting() -> None:
    assert parse_rates("telegram=30, zalobot=20") == {"telegram": 30, "zalobot": 20}
    assert parse_rates("") == {}
    with pytest.raises(ValueError, match="not a send rate"):
        parse_rates("telegram=0")
