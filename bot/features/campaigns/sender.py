"""Send running campaigns, at most once per recipient, within each platform's shared rate.

A background task of the core Worker (bot/worker.py). For each ready channel a few lanes
run side by side; each lane repeats: take a slot of the channel's send budget (the same
budget, kept in the database, as every reply and notice of every worker), take the next
pending recipient row (marked `sending` and committed: `CampaignRepository.claim`), send,
mark it sent or failed.

Why nobody gets a campaign twice: a row is attempted only after its `sending` mark is
committed, and only `pending` rows are ever taken. A worker killed between the send and the
mark leaves the row `sending`; when its lease ends it is settled as failed "interrupted"
(the message may or may not have arrived) and never sent again. A refusal that certainly
delivered nothing (a rate limit, the platform unreachable) puts the row back to pending for
a later try, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import payloads
from bot.delivery import Sender, SendError
from bot.logs import log_failure
from bot.messages import Button, Reply
from bot.send_budget import SendBudget
from storage.campaign_models import CampaignRecipientRow, CampaignRow
from storage.campaigns import CampaignRepository

__all__ = ["CampaignSender", "Wording", "compose", "wording"]

logger = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)  # a send takes seconds at most; then the row is "interrupted"
MAX_ATTEMPTS = 3
# Messages a second on a channel whose outbox has no configured rate (TROLYSO_SEND_RATES):
# a campaign never goes out unlimited. Kept in the database like any other send budget.
DEFAULT_RATE = 30


@dataclass(frozen=True, slots=True)
class Wording:
    """The fixed parts of every campaign message (from content/support.yaml)."""

    footer: str  # "Gõ /tatnhantin để ngừng nhận tin."
    stop_button: str
    intent_button: str


def wording(texts: Callable[[str], str]) -> Wording:
    """The fixed parts, read from the support texts."""
    return Wording(
        texts("campaign_footer"), texts("campaign_stop_button"), texts("campaign_intent_button")
    )


def compose(campaign: CampaignRow, wording: Wording) -> Reply:
    """The message a subscriber receives: the text, the way out, optional buttons."""
    buttons: list[Button] = []
    if campaign.button_intent:
        buttons.append(
            Button(wording.intent_button, payloads.encode("answer", campaign.button_intent))
        )
    buttons.append(Button(wording.stop_button, payloads.encode("command", "tatnhantin")))
    return Reply(f"{campaign.text}\n\n{wording.footer}", tuple(buttons))


Outcome = tuple[int, str, str | None]  # recipient row, state, reason


@dataclass
class _Lane:
    channel: str
    sender: Sender
    budget: SendBudget | None


class CampaignSender:
    """Sends every running campaign, a few lanes per channel; see the module docstring."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        wording: Wording,
        *,
        lanes: int = 4,
        lease: timedelta = LEASE,
        idle: float = 2.0,
        default_rate: int = DEFAULT_RATE,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.wording = wording
        self.lanes = lanes
        self.lease = lease
        self.idle = idle
        self.default_rate = default_rate
        self._budgets: dict[str, SendBudget] = {}
        self._messages: dict[int, Reply | None] = {}
        self._wakeup = asyncio.Event()
        self._stopping: asyncio.Event | None = None  # set: lanes finish their send and stop

    def wake(self) -> None:
        self._wakeup.set()

    async def upkeep(self) -> None:
        """Settle rows of dead workers and finished campaigns."""
        now = self.clock()
        async with self.sessions.begin() as session:
            campaigns = CampaignRepository(session)
            interrupted = await campaigns.settle_interrupted(now)
            done = await campaigns.finish_done(now)
        if interrupted:
            logger.warning("campaign rows interrupted count=%s", interrupted)
        for campaign_id in done:
            logger.info("campaign done id=%s", campaign_id)

    async def round(self, channels: Sequence[tuple[str, Sender, SendBudget | None]]) -> int:
        """Send until no channel has a pending row; how many were sent."""
        await self.upkeep()
        async with self.sessions() as session:
            waiting = await CampaignRepository(session).waiting_channels(self.clock())
        counts: list[int] = []
        lanes = [
            self._lane(_Lane(name, sender, budget or self._default_budget(name)), counts)
            for name, sender, budget in channels
            if name in waiting
            for _ in range(self.lanes)
        ]
        await asyncio.gather(*lanes)
        if counts and sum(counts):
            await self.upkeep()
        return sum(counts)

    def _default_budget(self, channel: str) -> SendBudget | None:
        if self.default_rate <= 0:
            return None
        if channel not in self._budgets:
            self._budgets[channel] = SendBudget(
                self.sessions, channel, self.default_rate, self.clock
            )
        return self._budgets[channel]

    async def run(
        self,
        channels: Callable[[], Sequence[tuple[str, Sender, SendBudget | None]]],
        stopping: asyncio.Event,
    ) -> None:
        """Rounds until `stopping` is set; sleeps `idle` seconds (or until woken) between."""
        self._stopping = stopping
        while not stopping.is_set():
            try:
                await self.round(channels())
            except Exception:
                logger.exception("campaign round failed")
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                waits = [
                    asyncio.ensure_future(self._wakeup.wait()),
                    asyncio.ensure_future(stopping.wait()),
                ]
                try:
                    await asyncio.wait(waits, timeout=self.idle, return_when="FIRST_COMPLETED")
                finally:
                    for wait in waits:
                        wait.cancel()

    async def _lane(self, lane: _Lane, counts: list[int]) -> None:
        """Take, send, repeat. The outcome of a send is written in the same transaction that
        takes the next row (one commit per message); a lane stopped in between leaves that
        row `sending`, later settled as "interrupted", never sent again."""
        sent = 0
        outcome: Outcome | None = None
        try:
            while self._stopping is None or not self._stopping.is_set():
                if lane.budget is not None:
                    await lane.budget.acquire()
                async with self.sessions.begin() as session:
                    campaigns = CampaignRepository(session)
                    if outcome is not None:
                        await campaigns.settle(outcome[0], outcome[1], self.clock(), outcome[2])
                        outcome = None
                    claimed = await campaigns.claim(lane.channel, self.clock(), self.lease)
                    reply = await self._message(session, claimed.campaign_id) if claimed else None
                if claimed is None:
                    return
                if reply is None or not claimed.external_id:
                    outcome = (claimed.id, "failed", "no_chat")
                    continue
                outcome = await self._send(lane, claimed.id, claimed.external_id, reply)
                sent += outcome is not None and outcome[1] == "sent"
        except (SQLAlchemyError, OSError) as error:
            log_failure(logger, "campaign lane stopped channel=%s", lane.channel, error=error)
        finally:
            counts.append(sent)
            if outcome is not None:
                with contextlib.suppress(SQLAlchemyError, OSError):
                    await self._settle(*outcome)

    async def _message(self, session: AsyncSession, campaign_id: int) -> Reply | None:
        if campaign_id not in self._messages:
            campaign = await CampaignRepository(session).get(campaign_id)
            self._messages[campaign_id] = (
                compose(campaign, self.wording) if campaign is not None else None
            )
        return self._messages[campaign_id]

    async def _send(self, lane: _Lane, row_id: int, chat: str, reply: Reply) -> Outcome | None:
        """The row's outcome to record, or None when it was put back for a later try."""
        try:
            await lane.sender.send(chat, reply)
        except SendError as error:
            if error.final:
                return (row_id, "failed", error.kind)
            await self._later(row_id, error)
            return None
        except Exception as crash:  # unknown whether it arrived: never try again
            log_failure(logger, "campaign send crashed row=%s", row_id, error=crash)
            return (row_id, "failed", "unknown")
        return (row_id, "sent", None)

    async def _later(self, row_id: int, error: SendError) -> None:
        now = self.clock()
        async with self.sessions.begin() as session:
            campaigns = CampaignRepository(session)
            row = await session.get(CampaignRecipientRow, row_id)
            if row is not None and row.attempts >= MAX_ATTEMPTS:
                await campaigns.settle(row_id, "failed", now, error.kind)
                return
            wait = error.retry_after or 30.0
            await campaigns.retry_later(row_id, now + timedelta(seconds=wait))

    async def _settle(self, row_id: int, state: str, reason: str | None) -> None:
        async with self.sessions.begin() as session:
            await CampaignRepository(session).settle(row_id, state, self.clock(), reason)
