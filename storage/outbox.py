"""Stored outgoing messages: notifications to people other than the current sender.

A row is written in the same transaction as the state change that causes it, so a crash never
loses a notification nor sends one for a change that was rolled back. Channel adapters deliver
pending rows and record the platform's message id for later edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxRow

__all__ = ["OutboxRepository"]


class OutboxRepository:
    """Queue, fetch and settle outgoing messages; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        channel: str,
        external_id: str,
        text: str,
        buttons: Sequence[tuple[str, str]] = (),
        *,
        now: datetime,
        tag: str | None = None,
        edit_of: int | None = None,
        sender_id: int | None = None,
    ) -> OutboxRow:
        row = OutboxRow(
            channel=channel,
            external_id=external_id,
            text=text,
            buttons=[{"title": title, "payload": payload} for title, payload in buttons],
            tag=tag,
            edit_of=edit_of,
            sender_id=sender_id,
            status="pending",
            attempts=0,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def tagged(self, tag: str) -> list[OutboxRow]:
        """Earlier messages with this tag (e.g. every claim notice of one request)."""
        query = select(OutboxRow).where(OutboxRow.tag == tag, OutboxRow.edit_of.is_(None))
        return list((await self.session.execute(query.order_by(OutboxRow.id))).scalars())

    async def pending(
        self, channel: str, external_id: str | None = None, limit: int = 50
    ) -> list[OutboxRow]:
        """Rows waiting to be sent on a channel, oldest first, locked against other workers."""
        query = select(OutboxRow).where(
            OutboxRow.channel == channel, OutboxRow.status == "pending"
        )
        if external_id is not None:
            query = query.where(OutboxRow.external_id == external_id)
        query = query.order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)
        return list((await self.session.execute(query)).scalars())

    async def get(self, row_id: int) -> OutboxRow | None:
        return await self.session.get(OutboxRow, row_id)

    async def mark_sent(
        self, row: OutboxRow, now: datetime, platform_message_id: str | None = None
    ) -> None:
        row.status = "sent"
        row.sent_at = now
        row.attempts += 1
        row.platform_message_id = platform_message_id
        await self.session.flush()

    async def mark_failed(self, row: OutboxRow, error: str, *, final: bool) -> None:
        """A failed send: retried later unless `final` (blocked user, outside the window)."""
        row.attempts += 1
        row.error = error[:200]
        row.status = "undeliverable" if final else "pending"
        await self.session.flush()
