"""Take slots of a platform's send budget for one second, shared by every worker; never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SendBudgetRow

__all__ = ["SendBudgetRepository"]


class SendBudgetRepository:
    """The one row per channel: which second it counts, and how many sends it took."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, channel: str, second: int, want: int, per_second: int) -> int:
        """Take up to `want` of the `per_second` slots of `second`; how many were granted.

        The row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's transactions take
        the write lock at BEGIN), so two workers never take the same slot. A second before
        the row's is one already over: nothing is granted for it.
        """
        bind = self.session.bind
        insert = (
            postgresql_insert
            if bind is not None and bind.dialect.name == "postgresql"
            else sqlite_insert
        )
        await self.session.execute(  # the first take of a channel: two workers may race here
            insert(SendBudgetRow)
            .values(channel=channel, second=second, used=0)
            .on_conflict_do_nothing()
        )
        row = (
            await self.session.execute(
                select(SendBudgetRow)
                .where(SendBudgetRow.channel == channel)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        if row.second < second:
            row.second, row.used = second, 0
        elif row.second > second:
            return 0
        granted = max(0, min(want, per_second - row.used))
        row.used += granted
        await self.session.flush()
        return granted
