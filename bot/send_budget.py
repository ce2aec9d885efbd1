"""A platform's send rate, kept by all workers together through the database.

Telegram accepts about 30 messages a second per bot, whatever the number of processes
sending for it; an in-process limiter (PTB's AIORateLimiter) lets N workers send N times too
fast, and the platform answers with 429s and waits. Here each worker takes slots of the
current second from one row in the database (storage/send_budget.py), a few at a time so a
burst costs one small transaction per block, and waits for the next second when the
second's slots are gone. Slots a worker took and did not use are lost at the second's end:
the budget is never exceeded, at worst a little under-used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logs import log_failure
from storage.send_budget import SendBudgetRepository

__all__ = ["SendBudget", "parse_rates"]

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


def parse_rates(text: str) -> dict[str, int]:
    """ "telegram=30,zalobot=20" -> {"telegram": 30, "zalobot": 20} (ValueError if malformed)."""
    rates: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        channel, _, number = part.partition("=")
        rate = int(number)
        if not channel.strip() or rate < 1:
            raise ValueError(f"not a send rate: {part!r} (write channel=messages per second)")
        rates[channel.strip()] = rate
    return rates


class SendBudget:
    """One channel's share of its platform's rate, in this process."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channel: str,
        per_second: int,
        clock: Callable[[], datetime],
        *,
        block: int = 5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.sessions = sessions
        self.channel = channel
        self.per_second = per_second
        self.clock = clock
        self.block = max(1, min(block, per_second))
        self.sleep = sleep
        self._second = -1
        self._left = 0  # slots of `_second` taken and not used yet
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until this process may send one message."""
        async with self._lock:
            while True:
                now = self.clock().timestamp()
                second = int(now)
                if second == self._second and self._left > 0:
                    self._left -= 1
                    return
                granted = await self._take(second)
                if int(self.clock().timestamp()) != second:
                    continue  # the second ended while taking: its slots are of no use now
                if granted > 0:
                    self._second, self._left = second, granted - 1
                    return
                await self.sleep(second + 1 - now)  # this second's slots are all taken

    async def _take(self, second: int) -> int:
        try:
            async with self.sessions.begin() as session:
                return await SendBudgetRepository(session).take(
                    self.channel, second, self.block, self.per_second
                )
        except (SQLAlchemyError, OSError) as error:
            # No database, no shared count: send at this process's share of the rate rather
            # than not at all (a send needs the database afterwards anyway).
            log_failure(logger, "send budget not read channel=%s", self.channel, error=error)
            await self.sleep(1.0 / self.per_second)
            return 1
