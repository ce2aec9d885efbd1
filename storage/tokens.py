"""Channel credentials the bot renews itself (the Zalo OA token pair); never commits.

The refresh token is single-use, so renewing it is a read-modify-write that two workers must
not do at once: `get_locked` takes the row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite
transactions here already start with BEGIN IMMEDIATE, which serializes writers).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelTokenRow

__all__ = ["ChannelTokenRepository"]


class ChannelTokenRepository:
    """Read, lock, replace and mark failed one named token row."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> ChannelTokenRow | None:
        """The stored row, unlocked (for the fast path that only reads)."""
        return await self.session.get(ChannelTokenRow, name)

    async def get_locked(self, name: str) -> ChannelTokenRow | None:
        """The row, locked until the transaction ends, re-read from the database.

        populate_existing: a copy already in this session must not hide another worker's
        renewal that committed while we waited for the lock.
        """
        query = (
            select(ChannelTokenRow)
            .where(ChannelTokenRow.name == name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def save(
        self,
        name: str,
        access_token: str,
        refresh_token: str,
        expires_at: datetime,
        now: datetime,
    ) -> ChannelTokenRow:
        """Store a new pair (insert or replace); a working pair clears any recorded failure."""
        row = await self.get_locked(name)
        if row is None:
            row = ChannelTokenRow(name=name)
            self.session.add(row)
        row.access_token = access_token
        row.refresh_token = refresh_token
        row.expires_at = expires_at
        row.updated_at = now
        row.failed_at = None
        row.failure = None
        await self.session.flush()
        return row

    async def mark_failed(self, row: ChannelTokenRow, reason: str, now: datetime) -> bool:
        """Record a refused renewal; True only for the first failure (alert once)."""
        first = row.failed_at is None
        if first:
            row.failed_at = now
        row.failure = reason[:200]
        await self.session.flush()
        return first
