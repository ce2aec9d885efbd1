"""Process stored webhook deliveries from the database: any worker, any chat, each chat in order.

The webhook only stores a delivery and answers 200 (bot/channels/webhook.py), then wakes this
processor, which takes rows from the inbox under a lease (storage/inbox_claims.py): the oldest
open row of each chat, never one a live worker holds. At most `concurrency` rows are processed
at once, so a burst never becomes thousands of tasks competing with the acknowledgements, and
the answering transaction settles the row by its id (`Bot.answer(event_id=...)`).

Nothing is kept in memory that the database does not also hold:

- two workers behind a load balancer receive one chat's messages alternately; whichever claims
  next takes the chat's oldest open row, so the chat is answered in order and once;
- a worker that dies (kill -9) leaves leases that run out: any worker then replays those rows;
  a live worker renews the leases of the rows it holds, so they are never replayed;
- a failed processing is retried after `retry_after` (a replay: an attempt); meanwhile the
  chat's later messages go ahead. After `max_attempts` the give-up round apologises
  (`Bot.give_up`).

The replay policy is the deployment's (`TROLYSO_REPLAY_AFTER_SECONDS`): the worker sets it
(`configure`), and the worker's round calls `replay` for rows no live processor was woken for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logs import log_failure
from storage.inbox_claims import Claimed, InboxClaims

__all__ = ["LEASE", "Handle", "InboxProcessor"]

logger = logging.getLogger(__name__)
# How long a taken row is reserved: renewed every third of it while it is held, so a dead
# worker's rows are replayed within this time, a live worker's never.
LEASE = timedelta(seconds=60)
# `handle(event_id, payload)`: answer a stored delivery and settle its row by id; raise when
# it should be tried again later.
Handle = Callable[[int, dict[str, Any]], Awaitable[None]]


class InboxProcessor:
    """Takes one channel's stored deliveries and runs `handle` on each, `concurrency` at once."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channel: str,
        handle: Handle,
        clock: Callable[[], datetime],
        *,
        concurrency: int = 8,
        lease: timedelta = LEASE,
        max_attempts: int = 5,
        receiving: Callable[[], int] = lambda: 0,
        concurrency_while_receiving: int = 1,
    ) -> None:
        self.sessions = sessions
        self.channel = channel
        self.handle = handle
        self.clock = clock
        self.concurrency = concurrency
        # Rows held at once (running, or waiting for a slot under their lease): a claim takes
        # several rows, so claims do not queue behind each other, but never a whole burst.
        self.held_limit = concurrency * 4
        self.lease = lease
        self.retry_after = lease
        self.max_attempts = max_attempts
        self._slots = asyncio.Semaphore(concurrency)
        # While webhook deliveries arrive (`receiving()` > 0) only this many rows are
        # processed at once: one event loop serves both, and the platform waits for the 200
        # (Zalo redelivers after about 2 s) while the answer may come a moment later. One,
        # measured on a burst (bench/bench_load.py): acknowledgement p50 27 -> 20 ms, and the
        # answers no slower.
        self.receiving = receiving
        self._busy_slots = asyncio.Semaphore(concurrency_while_receiving)
        self._held: dict[int, asyncio.Task[None]] = {}  # row id -> its processing
        self._loop: asyncio.Task[None] | None = None
        self._again = asyncio.Event()  # new rows may be claimable: claim again
        self._keeper: asyncio.Task[None] | None = None
        self._give_back: set[int] = set()  # taken, not started, stopping: released at stop
        self._stopped = False
        self.claimed = 0  # rows taken so far (tests, benchmarks)

    def configure(self, *, retry_after: timedelta, max_attempts: int) -> None:
        """The deployment's replay policy: a held row runs out (and a failed one is retried)
        after `retry_after`; a row is replayed at most `max_attempts` times."""
        self.lease = self.retry_after = retry_after
        self.max_attempts = max_attempts

    def wake(self) -> None:
        """New deliveries were stored (or a chat's earlier one settled): claim soon."""
        if self._stopped:
            return
        self._again.set()
        if self._loop is None or self._loop.done():
            self._loop = asyncio.get_running_loop().create_task(self._claim_loop())

    async def replay(self) -> int:
        """The worker's round: claim the rows no live worker holds (leases that ran out,
        retries that are due, rows nobody took for `retry_after`); processed in the
        background. How many were taken."""
        if self._stopped:
            return 0
        taken = await self._claim(replays_only=True)
        if taken:
            self.wake()  # keep going: rows of these chats may be waiting behind them
        return sum(1 for row in taken if row.replay)

    async def drain(self) -> None:
        """Wait until nothing is claimable and nothing is being processed (tests, shutdown)."""
        while True:
            loop = self._loop
            if loop is not None and not loop.done():
                await asyncio.gather(loop, return_exceptions=True)
            elif self._held:
                await asyncio.gather(*self._held.values(), return_exceptions=True)
            else:
                return

    async def stop(self, grace: float = 8.0) -> None:
        """Take no new rows; finish the rows being processed (up to `grace` seconds) and give
        back the rows still waiting for a slot, so another worker takes them at once."""
        self._stopped = True
        self._again.set()
        waiting = [task for task in self._held.values() if not task.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=grace)
        unfinished = [task for task in self._held.values() if not task.done()]
        for task in unfinished:  # a row cut off mid-answer is rolled back, then given back
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        if self._give_back:
            await self._release(sorted(self._give_back))
            self._give_back.clear()
        if self._loop is not None:
            await asyncio.gather(self._loop, return_exceptions=True)
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper

    @property
    def busy(self) -> int:
        """Rows held by this worker (processing or waiting for a slot)."""
        return len(self._held)

    # --- inside ---------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        failures = 0  # claims that failed in a row
        while not self._stopped:
            # Claim again once half the rows held are done: a claim takes many rows, not one
            # per finished row (a claim is a transaction of two statements).
            if self._again.is_set() and len(self._held) <= self.held_limit // 2:
                self._again.clear()
                free = self.held_limit - len(self._held)
                try:
                    taken = await self._claim()
                except (SQLAlchemyError, OSError) as error:
                    # A passing fault (a dropped connection, a conflict) is tried again in a
                    # moment: rows wait and nothing else would wake this loop. The database
                    # still down after a few tries: the rows stay stored, the worker's round
                    # wakes the loop again later.
                    failures += 1
                    log_failure(logger, "inbox not claimed channel=%s", self.channel, error=error)
                    if failures >= 3 and not self._held:
                        return
                    self._again.set()
                    await asyncio.sleep(min(0.2 * 2**failures, 5.0))
                    continue
                failures = 0
                if taken and len(taken) >= free:
                    self._again.set()  # every free place got a row: more may be waiting
                continue
            if not self._held and not self._again.is_set():
                return  # idle: the next webhook (or the worker's round) wakes it
            if self._again.is_set():
                # Rows wait, but more than half the places are taken: wait for one to finish
                # (waiting on the flag, already set, would spin and starve the event loop).
                await asyncio.wait(list(self._held.values()), return_when=asyncio.FIRST_COMPLETED)
                continue
            waiter = asyncio.ensure_future(self._again.wait())
            try:
                await asyncio.wait(
                    [waiter, *self._held.values()], return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                waiter.cancel()

    async def _claim(self, *, replays_only: bool = False) -> list[Claimed]:
        free = self.held_limit - len(self._held)
        if free <= 0 or self._stopped:
            return []
        now = self.clock()
        async with self.sessions.begin() as session:
            taken = await InboxClaims(session).claim(
                self.channel,
                now,
                now + self.lease,
                free,
                max_attempts=self.max_attempts,
                stalled=now - self.retry_after,
                replays_only=replays_only,
            )
        loop = asyncio.get_running_loop()
        for row in taken:
            if row.id in self._held:  # cannot happen (leased by us), but never twice
                continue
            if row.replay:
                logger.warning(
                    "replaying delivery channel=%s event=%s attempt=%d",
                    self.channel,
                    row.id,
                    row.attempts,
                )
            self._held[row.id] = loop.create_task(self._process(row))
        self.claimed += len(taken)
        if taken and (self._keeper is None or self._keeper.done()):
            self._keeper = loop.create_task(self._keep_leased())
        return taken

    async def _process(self, row: Claimed) -> None:
        started = False
        try:
            async with self._slots:
                if self._stopped:  # stopping: rows not started go back, untried
                    return
                started = True
                if self.receiving() > 0:
                    async with self._busy_slots:
                        await self._run(row)
                else:
                    await self._run(row)
        except asyncio.CancelledError:
            started = False  # rolled back: as if never tried
            raise
        except Exception as error:
            log_failure(
                logger, "delivery failed channel=%s event=%s", self.channel, row.id, error=error
            )
            await self._postpone(row)
        finally:
            self._held.pop(row.id, None)
            if not started:
                self._give_back.add(row.id)
            self._again.set()  # the chat's next delivery may be taken now

    async def _run(self, row: Claimed) -> None:
        if row.payload is None:  # nothing left to process (should not happen)
            async with self.sessions.begin() as session:
                await InboxClaims(session).settle(row.id, self.clock())
        else:
            await self.handle(row.id, row.payload)

    async def _postpone(self, row: Claimed) -> None:
        """Try a failed delivery again after `retry_after`; at once for the give-up round
        when it has used up its attempts."""
        now = self.clock()
        until = now if row.attempts >= self.max_attempts else now + self.retry_after
        try:
            async with self.sessions.begin() as session:
                await InboxClaims(session).postpone(row.id, until)
        except (SQLAlchemyError, OSError) as error:  # the lease runs out anyway
            log_failure(logger, "retry not scheduled event=%s", row.id, error=error)

    async def _release(self, event_ids: list[int]) -> None:
        try:
            async with self.sessions.begin() as session:
                await InboxClaims(session).release(event_ids)
        except (SQLAlchemyError, OSError) as error:  # the leases run out anyway
            log_failure(logger, "rows not released channel=%s", self.channel, error=error)

    async def _keep_leased(self) -> None:
        every = self.lease.total_seconds() / 3
        while self._held:
            await asyncio.sleep(every)
            held = list(self._held)
            if not held:
                return
            try:
                async with self.sessions.begin() as session:
                    await InboxClaims(session).renew(held, self.clock() + self.lease)
            except (SQLAlchemyError, OSError) as error:
                log_failure(
                    logger, "inbox lease not renewed channel=%s", self.channel, error=error
                )
