"""Store webhook deliveries in batches: one transaction for every delivery that arrived meanwhile.

A platform's burst (10/10, a campaign) brings dozens of deliveries at once, each waiting for its
row before the 200. Written one transaction each, they queue for connections behind the work of
answering, and the acknowledgement waits seconds. Here the first delivery starts a write; those
that arrive while it runs are written together by the next one (group commit): one INSERT of
many rows, on its own small pool where the database has one (PostgreSQL), so acknowledging
never waits for a connection the answering holds.

What each caller gets is what `InboxRepository.receive` returns alone: its row id the first
time, None for a redelivery, including two copies of one delivery in the same batch. A failed
write fails every delivery of its batch (each caller answers 503; the platform retries).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.inbox import InboxRepository
from storage.keys import bounded_key

__all__ = ["MAX_BATCH", "InboxWriter"]

# Rows in one INSERT: SQLite allows 32,766 bound values, a row binds 7.
MAX_BATCH = 500


@dataclass
class _Delivery:
    channel: str
    external_id: str
    payload: dict[str, Any] | None
    chat: str | None
    now: datetime
    done: asyncio.Future[int | None] = field(default_factory=asyncio.Future)


class InboxWriter:
    """Group-commit writer of inbound deliveries; one per process and database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._waiting: list[_Delivery] = []
        self._writing: asyncio.Task[None] | None = None
        self.batches = 0  # written so far (for tests and benchmarks)

    async def receive(
        self,
        channel: str,
        external_id: str,
        payload: dict[str, Any] | None,
        now: datetime,
        *,
        chat: str | None = None,
    ) -> int | None:
        """Store a delivery (see `InboxRepository.receive`); raises what the write raised."""
        delivery = _Delivery(
            channel,
            bounded_key(external_id),
            payload,
            bounded_key(chat) if chat is not None else None,
            now,
        )
        self._waiting.append(delivery)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._write_all())
        # Shielded: a caller that goes away (client disconnect) does not cancel the batch.
        return await asyncio.shield(delivery.done)

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                stored = await self._write(batch)
            except BaseException as error:  # every caller of the batch learns of it
                for delivery in batch:
                    if not delivery.done.done():
                        delivery.done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for delivery in batch:
                if not delivery.done.done():
                    delivery.done.set_result(
                        stored.pop((delivery.channel, delivery.external_id), None)
                    )

    async def _write(self, batch: Sequence[_Delivery]) -> dict[tuple[str, str], int]:
        """Insert the batch's new deliveries; the row id of each, by (channel, external id)."""
        async with self.sessions.begin() as session:
            found = await InboxRepository(session).receive_many(
                [(d.channel, d.external_id, d.payload, d.chat, d.now) for d in batch]
            )
        self.batches += 1
        return found
