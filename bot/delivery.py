"""Deliver stored outgoing messages through a channel's sender, outside any transaction.

Every message a network channel sends (the reply to the sender, a notification to someone
else, an edit) is first written to the outbox in the transaction that decided it. The
dispatcher leases pending rows, calls the platform, and settles each row afterwards, so a
crash or a platform outage delays messages but loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chatqueue import ChatQueue
from bot.chatqueue import Job as ChatJob
from bot.logs import log_failure
from bot.messages import Attachment, Button, Reply
from bot.metrics import Metrics
from bot.send_budget import SendBudget
from bot.send_log import SendFailureLog
from storage.models import OutboxRow
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository

__all__ = ["UNDELIVERABLE_KINDS", "Dispatcher", "SendError", "Sender", "as_reply"]

logger = logging.getLogger(__name__)
# Why a message could not be delivered, as told to the person who wrote it.
UNDELIVERABLE_KINDS = ("blocked", "window", "quota", "other")


class SendError(Exception):
    """A send the platform refused.

    `final` means retrying cannot help (the person blocked the bot, is outside the
    platform's reply window, the quota is spent); `retry_after` is the wait the platform
    asked for. `reason` is a short, log-safe description without message text; `kind` is
    one of `UNDELIVERABLE_KINDS`, for the notice the sender gets.
    """

    def __init__(
        self,
        reason: str,
        *,
        final: bool = False,
        retry_after: float | None = None,
        kind: str = "other",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final
        self.retry_after = retry_after
        self.kind = kind if kind in UNDELIVERABLE_KINDS else "other"


class Sender(Protocol):
    """What a channel adapter provides to deliver replies; raises `SendError` on refusal."""

    channel: str

    async def send(self, external_id: str, reply: Reply) -> str | None:
        """Send a new message; returns the platform's id of it (for later edits)."""

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        """Replace an earlier message; channels that cannot edit send a new one."""


def as_reply(row: OutboxRow) -> Reply:
    """The reply a stored row carries."""
    buttons = tuple(Button(b["title"], b["payload"]) for b in row.buttons)
    attachment = None
    if row.attachment_data is not None and row.attachment_name:
        attachment = Attachment(
            row.attachment_name,
            row.attachment_data,
            row.attachment_type or "application/octet-stream",
        )
    edit_of = str(row.edit_of) if row.edit_of is not None else None
    return Reply(
        row.text, buttons, attachment=attachment, edit_of=edit_of, menu_from=row.menu_from
    )


Notice = Callable[[str], str]
# How long rows taken for sending stay reserved: renewed every third of it while the sends
# run, so a worker that dies (kill -9, a lost machine) frees its rows within this time.
LEASE = timedelta(seconds=15)
Item = tuple[int, Reply, int | None]  # outbox id, reply, id of the row it edits


class Dispatcher:
    """Sends one channel's outbox: each chat in order, different chats side by side."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        clock: Callable[[], datetime],
        undeliverable_notice: Notice,
        *,
        lease: timedelta = LEASE,
        max_attempts: int = 6,
        concurrency: int = 16,
        metrics: Metrics | None = None,
        budget: SendBudget | None = None,
    ) -> None:
        self.sessions = sessions
        self.budget = budget  # the platform's rate, shared with every worker
        self.sender = sender
        self.clock = clock
        self.undeliverable_notice = undeliverable_notice
        self.lease = lease
        self.max_attempts = max_attempts
        # Sends run here, not in the job that answered: a slow platform holds up sends, never
        # the answering of other messages. Each chat's rows go out in order.
        self.sends = ChatQueue(concurrency, name=f"send {sender.channel}")
        self.wakeup = asyncio.Event()
        self._holding: set[int] = set()  # rows leased by this worker and not yet settled
        self._keeper: asyncio.Task[None] | None = None
        # Rows the platform accepted but the database could not mark sent (it was down):
        # marked at the next flush, long before their lease lets anyone send them again.
        self._unsettled: dict[int, str | None] = {}
        self.metrics = metrics or Metrics()
        self.failures = SendFailureLog(logger, sender.channel, clock)
        self._sent = SentMarks(sessions, clock)

    @property
    def channel(self) -> str:
        return self.sender.channel

    def wake(self) -> None:
        """Ask the background loop to flush now (new rows were committed)."""
        self.wakeup.set()

    async def flush(self, external_id: str | None = None, batch: int = 100) -> int:
        """Send every pending row that is due (for one chat, or all); returns how many."""
        self.failures.flush()  # the last interval's summary, even when nothing fails now
        await self._settle_unsettled()
        sent = 0
        while True:
            async with self.sessions.begin() as session:
                rows = await OutboxRepository(session).lease(
                    self.channel, self.clock(), self.lease, batch, external_id=external_id
                )
            if not rows:
                return sent
            sent += await self.deliver(rows)
            if len(rows) < batch:
                return sent

    async def deliver(self, rows: Sequence[OutboxRow]) -> int:
        """Send rows already leased (by `lease` or `Bot.answer`) and wait; returns how many."""
        counts: list[int] = []
        waits = [
            self.sends.run(chat, self._job(chat, items, counts))
            for chat, items in self._hold(rows).items()
        ]
        await asyncio.gather(*waits)
        return sum(counts)

    def enqueue(self, rows: Sequence[OutboxRow]) -> None:
        """Send rows already leased, in the background (after earlier rows of each chat)."""
        for chat, items in self._hold(rows).items():
            self.sends.submit(chat, self._job(chat, items, []))

    async def drain(self) -> None:
        """Finish the sends in hand and stop renewing leases (shutdown)."""
        await self.sends.drain()
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None

    def _hold(self, rows: Sequence[OutboxRow]) -> dict[str, list[Item]]:
        by_chat: dict[str, list[Item]] = defaultdict(list)
        for row in rows:
            by_chat[row.external_id].append((row.id, as_reply(row), row.edit_of))
            self._holding.add(row.id)
        if rows and (self._keeper is None or self._keeper.done()):
            self._keeper = asyncio.get_running_loop().create_task(self._keep_leased())
        return by_chat

    def _job(self, chat: str, items: list[Item], counts: list[int]) -> ChatJob:
        async def job() -> None:
            try:
                counts.append(await self._send_in_order(chat, items))
            finally:
                self._holding.difference_update(item[0] for item in items)

        return job

    async def _keep_leased(self) -> None:
        """Renew the lease of the rows still waiting or being sent, while there are any."""
        every = self.lease.total_seconds() / 3
        while self._holding:
            await asyncio.sleep(every)
            if not self._holding:
                return
            try:
                async with self.sessions.begin() as session:
                    await OutboxRepository(session).renew(
                        list(self._holding), self.clock() + self.lease
                    )
            except (SQLAlchemyError, OSError) as error:
                log_failure(logger, "lease not renewed channel=%s", self.channel, error=error)

    async def _send_in_order(self, external_id: str, items: list[Item]) -> int:
        """One chat's rows in order; after a failure the rest wait, so order is kept."""
        sent = 0
        for position, (row_id, reply, edit_of) in enumerate(items):
            try:
                platform_id = await self._deliver(external_id, reply, edit_of)
            except SendError as error:
                await self._failed(row_id, error, [i[0] for i in items[position + 1 :]])
                return sent
            except Exception as crash:  # a bug or an unexpected transport failure: retry
                log_failure(
                    logger,
                    "send crashed channel=%s outbox=%s",
                    self.channel,
                    row_id,
                    error=crash,
                )
                later = [i[0] for i in items[position + 1 :]]
                await self._failed(row_id, SendError("unexpected error"), later)
                return sent
            await self._settle(row_id, platform_id)
            sent += 1
        return sent

    async def _deliver(self, external_id: str, reply: Reply, edit_of: int | None) -> str | None:
        if self.budget is not None:
            await self.budget.acquire()
        if edit_of is not None:
            async with self.sessions.begin() as session:
                original = await OutboxRepository(session).get(edit_of)
                target = original.platform_message_id if original is not None else None
            if target:
                return await self.sender.edit(external_id, target, reply)
        return await self.sender.send(external_id, reply)

    async def _settle(self, row_id: int, platform_id: str | None) -> None:
        """Mark a row sent; if the database is down, remember it (never send it twice)."""
        try:
            await self._mark_sent(row_id, platform_id)
        except (SQLAlchemyError, OSError) as error:
            self._unsettled[row_id] = platform_id
            log_failure(logger, "sent, not yet marked outbox=%s", row_id, error=error)

    async def _settle_unsettled(self) -> None:
        """Mark the rows sent while the database was down (raises while it still is)."""
        for row_id, platform_id in list(self._unsettled.items()):
            await self._mark_sent(row_id, platform_id)
            del self._unsettled[row_id]

    async def _mark_sent(self, row_id: int, platform_id: str | None) -> None:
        await self._sent.mark(row_id, platform_id)

    async def _failed(self, row_id: int, error: SendError, waiting: list[int]) -> None:
        self.metrics.send_failed(self.channel, error.kind)
        now = self.clock()
        async with self.sessions.begin() as session:
            outbox = OutboxRepository(session)
            row = await outbox.get(row_id)
            if row is None:
                return
            final = error.final or row.attempts + 1 >= self.max_attempts
            await outbox.mark_failed(row, f"{error.kind}: {error.reason}", final=final)
            if final:
                self.failures.given_up(row_id, error.reason)
                await self._tell_sender(session, row, now)
            else:
                wait = error.retry_after or float(min(2**row.attempts * 5, 600))
                await outbox.postpone(row, now + timedelta(seconds=wait))
                self.failures.postponed(row_id, error.reason, wait)
            # The chat's later rows go out after this one, not before it.
            for later_id in waiting:
                later = await outbox.get(later_id)
                if later is not None and later.status == "pending":
                    await outbox.postpone(later, row.lease_until or now)

    async def _tell_sender(self, session: AsyncSession, row: OutboxRow, now: datetime) -> None:
        """The person whose words did not arrive hears it from the bot, on their channel."""
        if row.sender_id is None:
            return
        where = await PeopleRepository(session).reach(row.sender_id)
        if where is None or (where.channel, where.external_id) == (row.channel, row.external_id):
            return
        await OutboxRepository(session).add(
            where.channel,
            where.external_id,
            self.undeliverable_notice((row.error or "other").split(":", 1)[0]),
            now=now,
        )


class SentMarks:
    """Marks rows sent, all the rows sent meanwhile in one transaction and one statement
    (group commit): a burst's sends do not each pay a transaction. A failed write fails
    every caller of its batch (each keeps its row to mark at the next flush)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self._waiting: list[tuple[int, str | None, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def mark(self, row_id: int, platform_id: str | None) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((row_id, platform_id, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._write_all())
        await asyncio.shield(done)

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:500], self._waiting[500:]
            try:
                async with self.sessions.begin() as session:
                    await OutboxRepository(session).settle_sent_many(
                        [(row_id, platform_id) for row_id, platform_id, _ in batch], self.clock()
                    )
            except BaseException as error:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)
