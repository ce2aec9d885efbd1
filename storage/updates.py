"""Idempotent webhooks: remember which platform updates were already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.keys import bounded_key
from storage.models import ProcessedUpdateRow

__all__ = ["first_delivery", "forget_updates_before"]


async def first_delivery(
    session: AsyncSession, channel: str, update_id: str, now: datetime
) -> bool:
    """True the first time an update is seen; False for a redelivery (Telegram, Zalo retry).

    The row is written in the same transaction as the reply's effects, so a crash before
    commit lets the redelivery be processed, and a redelivery after commit is ignored.
    """
    bind = session.bind
    insert = postgresql_insert if bind and bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(ProcessedUpdateRow)
        .values(channel=channel, update_id=bounded_key(update_id), at=now)
        .on_conflict_do_nothing()
    )
    return getattr(result, "rowcount", 0) == 1


async def forget_updates_before(session: AsyncSession, before: datetime) -> int:
    """Drop old update ids (platforms stop redelivering after about a day)."""
    result = await session.execute(
        delete(ProcessedUpdateRow).where(ProcessedUpdateRow.at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
