"""Background work, one home for every entry point: due timers, stalled deliveries, the outbox.

`trolyso serve` runs a `Worker` beside the web application, `trolyso worker` runs one alone
(deployments that keep web processes and background workers apart), and the polling runners
(`trolyso telegram`, `trolyso zalobot poll`) and the console chat run one too. Each step is
safe in several workers at once: timers and stalled deliveries are locked while they are
taken, outbox rows are leased, and a replayed delivery is settled in the transaction that
answers it, so a second worker finds it settled.

The worker knows channels only through `WorkerChannel`: the core never imports an adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

from bot.delivery import Dispatcher, Sender
from bot.features.campaigns.sender import CampaignSender, wording
from bot.features.helpdays.reminders import send_due_reminders
from bot.inbox_processor import InboxProcessor
from bot.send_budget import SendBudget
from bot.services import Bot
from storage.inbox import InboxRepository

__all__ = ["Worker", "WorkerChannel"]

logger = logging.getLogger(__name__)
GRACE = 5.0  # seconds a round of timers and sends may take to finish at stop


class WorkerChannel(Protocol):
    """What the worker needs of a channel (`bot.channels.base.ChannelRuntime` has it all)."""

    name: str
    dispatcher: Dispatcher

    @property
    def ready(self) -> bool:
        """Connected: its outbox may be sent and its stalled deliveries replayed."""

    async def replay(self, payload: dict[str, Any]) -> None:
        """Process a stored delivery again (the worker that took it died)."""

    async def upkeep(self) -> None:
        """The channel's own background work, after each flush of its outbox."""


class Worker:
    """Runs a round every `interval` seconds, or sooner when woken (a dispatcher's wake-up).

    A round: the current content version (bot/published.py), due timers, stalled deliveries
    replayed, deliveries that failed every replay given up, then each ready channel's outbox
    and upkeep. A failing round is logged and the
    next one runs as usual.
    """

    def __init__(
        self,
        bot: Bot,
        channels: Sequence[WorkerChannel] = (),
        *,
        interval: float = 2.0,
        stalled_after: timedelta = timedelta(seconds=60),
        max_replays: int = 5,
        grace: float = GRACE,
        campaigns: bool = True,
    ) -> None:
        self.bot = bot
        self.channels = list(channels)
        self.interval = interval
        self.stalled_after = stalled_after
        self.max_replays = max_replays
        self.grace = grace
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiting: list[asyncio.Future[dict[str, int]]] = []
        self._last_full = 0.0  # time.monotonic() when the last whole round started
        # Campaign messages (issue 15) go out from their own task: a long campaign never
        # holds up a round of timers and replies.
        texts = wording(bot.assistant.t)
        self.campaigns = CampaignSender(bot.sessions, bot.clock, texts) if campaigns else None
        self._campaign_task: asyncio.Task[None] | None = None
        for channel in self.channels:  # the deployment's replay policy is the processors' too
            processor = _processor(channel)
            if processor is not None:
                processor.configure(retry_after=stalled_after, max_attempts=max_replays)

    async def tick(self) -> dict[str, int]:
        """One round; returns what it did (counts by step, `sent_<channel>` per channel)."""
        # A newly published content version first: messages of this round get it.
        counts = {"content": int(await self.bot.refresh_content())}
        counts["timers"] = await self.bot.run_due_timers()
        counts["replayed"] = await self.replay_stalled()
        counts["given_up"] = 0
        for channel in self.channels:
            counts["given_up"] += await self.bot.give_up(channel.name, self.max_replays)
        for channel in self.channels:
            if not channel.ready:  # its messages wait in the outbox until it connects
                continue
            counts[f"sent_{channel.name}"] = await channel.dispatcher.flush()
            await channel.upkeep()
        # Help-day reminders last (issue 15): never in the way of answers; what they queue is
        # sent by the next round.
        counts["help_day_reminders"] = await send_due_reminders(
            self.bot.sessions, self.bot.assistant.kit, self.bot.clock()
        )
        return counts

    async def replay_stalled(self) -> int:
        """Deliveries stored and acknowledged but never handled: process them again.

        A channel with an inbox processor (bot/inbox_processor.py) takes only rows no live
        worker holds: leases that ran out, retries that are due, rows nobody took. Otherwise
        the rows are taken locked (skipping rows another worker holds) and their attempt is
        counted in that transaction, so two workers never replay one delivery in one round.
        """
        replayed = 0
        before = self.bot.clock() - self.stalled_after
        for channel in self.channels:
            if not channel.ready:  # replays would use up the attempts while it cannot answer
                continue
            processor = _processor(channel)
            if processor is not None:
                replayed += await processor.replay()
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

    # --- the loop ----------------------------------------------------------------------

    def wake(self) -> None:
        """Run a round now rather than at the end of the interval."""
        self._wakeup.set()

    async def next_round(self) -> dict[str, int]:
        """Wake the loop and wait for a round that starts after this call; its counts.

        For tests and tools that must know background work happened, without sleeping.
        Raises what the round raised; waits for `start` if the worker is not running yet.
        """
        done: asyncio.Future[dict[str, int]] = asyncio.get_running_loop().create_future()
        self._waiting.append(done)
        self.wake()
        return await done

    def start(self) -> None:
        """Run rounds in the background until `stop`."""
        self._stopping.clear()
        self._task = asyncio.get_running_loop().create_task(self._loop())
        if self.campaigns is not None and self.channels:
            self._campaign_task = asyncio.get_running_loop().create_task(
                self.campaigns.run(self.campaign_channels, self._stopping)
            )

    def campaign_channels(self) -> list[tuple[str, Sender, SendBudget | None]]:
        """The ready channels, with the sender and shared budget their outbox uses."""
        return [
            (c.name, c.dispatcher.sender, c.dispatcher.budget) for c in self.channels if c.ready
        ]

    async def stop(self) -> None:
        """Let the round in hand finish (up to `grace` seconds), then end the loop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        campaign, self._campaign_task = self._campaign_task, None
        tasks = {task} if campaign is None else {task, campaign}
        await asyncio.wait(tasks, timeout=self.grace)
        for one in tasks:
            if not one.done():
                one.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await one

    async def flush_outboxes(self) -> dict[str, int]:
        """Only the sends: what a dispatcher's wake-up asks for (rows queued for others)."""
        counts: dict[str, int] = {}
        for channel in self.channels:
            if channel.ready:
                counts[f"sent_{channel.name}"] = await channel.dispatcher.flush()
        return counts

    async def _loop(self) -> None:
        waiting: list[asyncio.Future[dict[str, int]]] = []
        full = True  # the first round is a whole one
        try:
            while not self._stopping.is_set():
                waiting, self._waiting = self._waiting, []
                if waiting or self._wakeup.is_set():
                    full = True
                for event in self._wakeups():  # this round serves every wake so far
                    event.clear()
                try:
                    if not full:
                        # A dispatcher asked for its rows to go out: only the sends. Timers,
                        # replays, give-ups and reminders keep to the interval (a burst of
                        # answers used to run a whole round after every message).
                        await self.flush_outboxes()
                        full = await self._sleep()
                        continue
                    self._last_full = time.monotonic()
                    counts = await self.tick()
                except Exception as error:
                    logger.exception("background round failed")
                    for done in waiting:
                        if not done.done():
                            done.set_exception(error)
                else:
                    for done in waiting:
                        if not done.done():
                            done.set_result(counts)
                full = await self._sleep()
        finally:  # rounds asked for that will never run (or were cut off at stop)
            for done in [*waiting, *self._waiting]:
                done.cancel()

    def _wakeups(self) -> list[asyncio.Event]:
        return [self._wakeup, *(channel.dispatcher.wakeup for channel in self.channels)]

    async def _sleep(self) -> bool:
        """Until the interval ends, a wake-up (kept if it came during the round) or stop.

        True when the next round must be a whole one: the interval ended since the last
        whole round, or `wake` (or `next_round`) asked for one; False when only dispatchers
        woke it."""
        events = [*self._wakeups(), self._stopping]
        waiters = [asyncio.create_task(event.wait()) for event in events]
        try:
            await asyncio.wait(
                waiters,
                timeout=max(0.0, self._last_full + self.interval - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
        due = time.monotonic() >= self._last_full + self.interval
        return due or self._wakeup.is_set() or bool(self._waiting)


def _processor(channel: WorkerChannel) -> InboxProcessor | None:
    """The channel's inbox processor, when its deliveries are processed from the inbox."""
    processor = getattr(channel, "processor", None)
    return processor if isinstance(processor, InboxProcessor) else None
