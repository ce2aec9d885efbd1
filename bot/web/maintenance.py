"""Background work every worker does: due timers, outgoing messages, stalled deliveries.

Each step is safe to run in several workers at once: timers and outbox rows are locked
or leased, and replayed deliveries are deduplicated by their update id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.channels.base import ChannelRuntime
from bot.services import Bot
from storage.inbox import InboxRepository

__all__ = ["Maintenance"]

logger = logging.getLogger(__name__)


class Maintenance:
    """Runs `tick` every `interval` seconds, or sooner when a dispatcher is woken."""

    def __init__(
        self,
        bot: Bot,
        channels: Sequence[ChannelRuntime],
        *,
        interval: float = 2.0,
        stalled_after: timedelta = timedelta(seconds=60),
        max_replays: int = 5,
    ) -> None:
        self.bot = bot
        self.channels = list(channels)
        self.interval = interval
        self.stalled_after = stalled_after
        self.max_replays = max_replays
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> dict[str, int]:
        """One round: timers, stalled deliveries, then every channel's outbox."""
        counts = {"timers": await self.bot.run_due_timers()}
        counts["replayed"] = await self.replay_stalled()
        counts["given_up"] = 0
        for channel in self.channels:
            counts["given_up"] += await self.bot.give_up(channel.name, self.max_replays)
        for channel in self.channels:
            if not channel.ready:  # its messages wait in the outbox until it connects
                continue
            counts[f"sent_{channel.name}"] = await channel.dispatcher.flush()
            extra = getattr(channel, "tick", None)  # channel-specific upkeep, if any
            if extra is not None:
                await extra()
        return counts

    async def replay_stalled(self) -> int:
        """Deliveries stored and acknowledged but never handled: process them again."""
        replayed = 0
        before = self.bot.clock() - self.stalled_after
        for channel in self.channels:
            if not channel.ready:  # replays would use up the attempts while it cannot answer
                continue
            async with self.bot.sessions.begin() as session:
                inbox = InboxRepository(session)
                stalled = await inbox.stale(channel.name, before, self.max_replays)
                for event in stalled:
                    await inbox.count_attempt(event.id, self.bot.clock())
                work = [(event.id, event.payload) for event in stalled]
            for event_id, payload in work:
                logger.warning("replaying delivery channel=%s event=%s", channel.name, event_id)
                if payload is None:  # nothing left to process (should not happen): settle
                    async with self.bot.sessions.begin() as session:
                        await InboxRepository(session).settle(event_id, self.bot.clock())
                    continue
                await channel.replay(payload)
                replayed += 1
        return replayed

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                logger.exception("maintenance round failed")
            await self._sleep()

    async def _sleep(self) -> None:
        events = [channel.dispatcher.wakeup for channel in self.channels]
        waiters = [asyncio.create_task(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            for event in events:
                event.clear()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
