"""Failed attempts at guessable things, counted per subject over a sliding window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AttemptRow

__all__ = ["AttemptRepository"]


class AttemptRepository:
    """Never commits: the caller's transaction decides."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def failures(
        self, scope: str, subjects: Sequence[str], since: datetime
    ) -> tuple[int, datetime | None]:
        """The most failures any one subject had since `since`, and the oldest of them."""
        query = (
            select(AttemptRow.subject, func.count(), func.min(AttemptRow.at))
            .where(
                AttemptRow.scope == scope,
                AttemptRow.subject.in_(list(subjects)),
                AttemptRow.at >= since,
            )
            .group_by(AttemptRow.subject)
        )
        rows = (await self.session.execute(query)).all()
        if not rows:
            return 0, None
        count, oldest = max((int(n), first) for _, n, first in rows)
        return count, oldest

    async def record(self, scope: str, subjects: Sequence[str], at: datetime) -> None:
        self.session.add_all(
            AttemptRow(scope=scope, subject=subject[:200], at=at) for subject in subjects
        )
        await self.session.flush()

    async def forget_before(self, before: datetime) -> int:
        result = await self.session.execute(delete(AttemptRow).where(AttemptRow.at < before))
        return int(getattr(result, "rowcount", 0) or 0)
