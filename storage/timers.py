"""Stored timers: what the bot must do later survives a restart."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TimerRow

__all__ = ["TimerRepository"]


class TimerRepository:
    """Schedule, cancel and take due timers; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedule(self, kind: str, due_at: datetime, request_id: int | None = None) -> None:
        self.session.add(TimerRow(kind=kind, due_at=due_at, request_id=request_id))
        await self.session.flush()

    async def cancel(self, request_id: int, kinds: Iterable[str], now: datetime) -> None:
        """Settle pending timers of a request (the thing they waited for happened)."""
        await self.session.execute(
            update(TimerRow)
            .where(
                TimerRow.request_id == request_id,
                TimerRow.kind.in_(list(kinds)),
                TimerRow.done_at.is_(None),
            )
            .values(done_at=now)
            .execution_options(synchronize_session=False)
        )

    async def due(self, now: datetime, limit: int = 100) -> list[TimerRow]:
        """Timers whose time has come, locked so that two workers never run the same one."""
        query = (
            select(TimerRow)
            .where(TimerRow.done_at.is_(None), TimerRow.due_at <= now)
            .order_by(TimerRow.due_at, TimerRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())

    async def pending(self, request_id: int) -> list[TimerRow]:
        query = select(TimerRow).where(
            TimerRow.request_id == request_id, TimerRow.done_at.is_(None)
        )
        return list((await self.session.execute(query.order_by(TimerRow.due_at))).scalars())

    async def done(self, timer: TimerRow, now: datetime) -> None:
        timer.done_at = now
        await self.session.flush()

    async def forget_done_before(self, before: datetime) -> int:
        """Retention: drop timers that ran (or were cancelled) before `before`."""
        result = await self.session.execute(delete(TimerRow).where(TimerRow.done_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
