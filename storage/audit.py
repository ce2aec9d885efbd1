"""The audit log: role changes, invite codes, refused commands, deletions, exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditRow

__all__ = ["AuditRepository"]


class AuditRepository:
    """Append-only; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        action: str,
        at: datetime,
        actor_id: int | None = None,
        target: str | None = None,
        **detail: Any,
    ) -> None:
        self.session.add(
            AuditRow(action=action, at=at, actor_id=actor_id, target=target, detail=detail)
        )
        await self.session.flush()

    async def entries(self, action: str | None = None) -> list[AuditRow]:
        query = select(AuditRow).order_by(AuditRow.id)
        if action is not None:
            query = query.where(AuditRow.action == action)
        return list((await self.session.execute(query)).scalars())
