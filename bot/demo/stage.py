"""Where the demo month is played: a fake clock, console people, the product's background round.

People talk to the real core exactly as `trolyso chat` does (`Bot.handle`, and notifications
taken from the stored outbox with `Bot.take_outgoing`); timers run through the same round the
server runs (`Worker.tick`), each at its due time: the clock jumps from one cue or due
timer to the next instead of ticking every two seconds, which changes nothing but the wait.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from bot import payloads
from bot.messages import ConversationKey, IncomingMessage, Reply
from bot.payloads import Action
from bot.services import Bot
from bot.worker import Worker
from storage.models import TimerRow

__all__ = ["Actor", "Cue", "DemoClock", "DemoDrift", "Stage"]

Cue = Callable[[], Awaitable[None]]


class DemoDrift(RuntimeError):
    """The product did not do what the demo script expects: the script needs updating."""


@dataclass
class DemoClock:
    """The only clock the bot sees while the month is played."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Actor:
    """One demo person at a console: says things, presses buttons they were shown."""

    stage: Stage
    key: ConversationKey
    seen: set[str] = field(default_factory=set)  # every button payload shown so far
    focus: str | None = None  # the session a volunteer's messages go to (as the bot keeps it)

    async def say(self, text: str) -> list[Reply]:
        message = IncomingMessage(self.key, text=text, received_at=self.stage.clock.now)
        return self.show(await self.stage.bot.handle(message))

    async def press(self, action: Action, value: str) -> list[Reply]:
        """Press a button the bot showed this person (in a reply or a notification)."""
        payload = payloads.encode(action, value)
        if payload not in self.seen:
            raise DemoDrift(f"{self.key.user_id} was never shown the button {payload!r}")
        message = IncomingMessage(
            self.key, payload=payload, kind="button", received_at=self.stage.clock.now
        )
        return self.show(await self.stage.bot.handle(message))

    def sees(self, action: Action, value: str) -> bool:
        return payloads.encode(action, value) in self.seen

    def show(self, replies: list[Reply]) -> list[Reply]:
        self.seen.update(button.payload for reply in replies for button in reply.buttons)
        return replies


class Stage:
    """Plays cues in time order on a bot of its own that shares the caller's database."""

    CHANNEL = "console"
    BATCH = 500

    def __init__(self, bot: Bot, start: datetime) -> None:
        self.clock = DemoClock(start)
        self.bot = Bot(bot.assistant, bot.sessions, self.clock, retention=bot.retention)
        # The product's background round; the demo has no network channel to flush.
        self.background = Worker(self.bot, [])
        self.actors: dict[str, Actor] = {}
        self._cues: list[tuple[datetime, int, Cue]] = []
        self._order = itertools.count()
        self.dropped = 0  # cues after the end of the play (a citizen free again, no more)

    def actor(self, external_id: str) -> Actor:
        found = self.actors.get(external_id)
        if found is None:
            found = self.actors[external_id] = Actor(
                self, ConversationKey(self.CHANNEL, external_id)
            )
        return found

    def at(self, when: datetime, cue: Cue) -> None:
        """Play `cue` when the clock reaches `when` (cues at one time keep their order)."""
        heapq.heappush(self._cues, (when, next(self._order), cue))

    async def run(self, until: datetime) -> None:
        """Play every cue up to `until`, running due timers on the way; then stop there."""
        while self._cues and self._cues[0][0] <= until:
            when, _, cue = heapq.heappop(self._cues)
            await self.advance(when)
            await cue()
            await self.deliver()
        self.dropped += len(self._cues)
        self._cues.clear()
        await self.advance(until)

    async def advance(self, to: datetime) -> None:
        """Move the clock to `to`, running each timer that falls due on the way at its time."""
        while (due := await self._next_timer()) is not None and due <= to:
            self.clock.now = max(self.clock.now, due)
            counts = await self.background.tick()
            if not counts.get("timers"):  # pragma: no cover - a timer the round never takes
                raise DemoDrift(f"a timer due at {due.isoformat()} was not run")
            await self.deliver()
        self.clock.now = max(self.clock.now, to)

    async def deliver(self) -> None:
        """Hand every waiting notification to its console, as `trolyso chat` polls them."""
        while True:
            batch = await self.bot.take_outgoing(self.CHANNEL, limit=self.BATCH)
            for delivery in batch:
                self.actor(delivery.external_id).show([delivery.reply])
            if len(batch) < self.BATCH:
                return

    async def _next_timer(self) -> datetime | None:
        async with self.bot.sessions() as session:
            query = select(func.min(TimerRow.due_at)).where(TimerRow.done_at.is_(None))
            due: datetime | None = await session.scalar(query)
        return due
