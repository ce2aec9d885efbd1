"""Stored webhook deliveries: write first, acknowledge, then process (and retry after a crash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.keys import bounded_key
from storage.models import InboundEventRow

__all__ = ["InboxRepository"]


class InboxRepository:
    """Record, hand out and settle inbound events; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def receive(
        self, channel: str, external_id: str, payload: dict[str, Any], now: datetime
    ) -> int | None:
        """Store a delivery; its row id the first time, None for a redelivery."""
        bind = self.session.bind
        dialect = bind.dialect.name if bind is not None else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        result = await self.session.execute(
            insert(InboundEventRow)
            .values(
                channel=channel,
                external_id=bounded_key(external_id),
                payload=payload,
                received_at=now,
                attempts=0,
            )
            .on_conflict_do_nothing()
            .returning(InboundEventRow.id)
        )
        return result.scalar_one_or_none()

    async def get(self, event_id: int) -> InboundEventRow | None:
        return await self.session.get(InboundEventRow, event_id)

    async def mark_handled(self, channel: str, external_id: str, now: datetime) -> None:
        """Settle a delivery in the transaction that applied its effects (no-op when polled)."""
        await self.session.execute(
            update(InboundEventRow)
            .where(
                InboundEventRow.channel == channel,
                InboundEventRow.external_id == bounded_key(external_id),
                InboundEventRow.handled_at.is_(None),
            )
            .values(handled_at=now)
        )

    async def count_attempt(self, event_id: int) -> None:
        """A retry is starting; after `max_attempts` the maintenance loop gives the event up."""
        await self.session.execute(
            update(InboundEventRow)
            .where(InboundEventRow.id == event_id)
            .values(attempts=InboundEventRow.attempts + 1)
        )

    async def stale(
        self, channel: str, received_before: datetime, max_attempts: int, limit: int = 100
    ) -> list[InboundEventRow]:
        """Deliveries accepted but never handled (the worker died), oldest first."""
        query = (
            select(InboundEventRow)
            .where(
                InboundEventRow.channel == channel,
                InboundEventRow.handled_at.is_(None),
                InboundEventRow.received_at < received_before,
                InboundEventRow.attempts < max_attempts,
            )
            .order_by(InboundEventRow.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def forget_before(self, before: datetime) -> int:
        """Drop old deliveries; platforms stop redelivering long before."""
        result = await self.session.execute(
            delete(InboundEventRow).where(InboundEventRow.received_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
