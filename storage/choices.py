"""Numbered choices on text-only channels: which payload the number a person types stands for.

A channel without buttons shows them as "1. ...", "2. ..." and remembers the payloads here,
in the database rather than in the process, so the answer "2" may reach another worker.
An answer stores the menu its replies show with the answer (on PostgreSQL inside the
statement that queues its first reply, `MENU_CTE`); a notification's menu is remembered
after it was sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import JSON, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.keys import bounded_key
from storage.models import ChoiceMenuRow, UTCDateTime

__all__ = ["CONTINUE_WINDOW", "ChoiceMenuRepository"]

# A notification sent this soon after the last menu continues its numbers.
CONTINUE_WINDOW = timedelta(seconds=10)

# INSERT ... ON CONFLICT written out (the same on PostgreSQL and SQLite): SQLAlchemy never
# caches the compiled form of its dialect `insert()`, compiled again at every send otherwise.
_UPSERT = text(
    "INSERT INTO choice_menus (channel, external_id, payloads, updated_at)"
    " VALUES (:channel, :key, :payloads, :now)"
    " ON CONFLICT (channel, external_id)"
    " DO UPDATE SET payloads = excluded.payloads, updated_at = excluded.updated_at"
).bindparams(bindparam("payloads", type_=JSON()), bindparam("now", type_=UTCDateTime()))

# The same upsert as a CTE, for a statement the answer runs anyway on PostgreSQL
# (storage/outbox.py): :channel, :now shared with it, the menu as a JSON array.
MENU_CTE = (
    "menu AS (INSERT INTO choice_menus (channel, external_id, payloads, updated_at)"
    " VALUES (:channel, :menu_key, CAST(:menu AS json), :now)"
    " ON CONFLICT (channel, external_id)"
    " DO UPDATE SET payloads = excluded.payloads, updated_at = excluded.updated_at)"
)


def menu_parameters(external_id: str, payloads: Sequence[str]) -> dict[str, str]:
    """The parameters `MENU_CTE` reads besides :channel and :now."""
    return {"menu_key": bounded_key(external_id), "menu": json.dumps(list(payloads))}


class ChoiceMenuRepository:
    """Remember and resolve the numbered choices last shown in one chat; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, channel: str, external_id: str) -> ChoiceMenuRow | None:
        return await self.session.get(ChoiceMenuRow, (channel, bounded_key(external_id)))

    async def next_number(
        self,
        channel: str,
        external_id: str,
        now: datetime,
        window: timedelta = CONTINUE_WINDOW,
    ) -> int:
        """The number the next menu starts at: after a menu shown moments ago, else 1."""
        row = await self.get(channel, external_id)
        if row is None or not row.payloads or row.updated_at <= now - window:
            return 1
        return len(row.payloads) + 1

    async def remember(
        self,
        channel: str,
        external_id: str,
        payloads: Sequence[str],
        now: datetime,
        *,
        first_number: int = 1,
    ) -> None:
        """Store the payloads shown as `first_number`, `first_number + 1`, ...

        The caller passes the number it actually showed (from `next_number`, read before the
        send), so what is stored always matches what the person saw, however long the send took.
        Numbers before `first_number` keep the earlier menu's payloads.
        """
        key = bounded_key(external_id)
        if first_number <= 1:  # a new menu: nothing earlier to keep, one statement
            await self._upsert(channel, key, list(payloads), now)
            return
        query = (
            select(ChoiceMenuRow)
            .where(ChoiceMenuRow.channel == channel, ChoiceMenuRow.external_id == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self.session.execute(query)).scalar_one_or_none()
        kept = list(row.payloads or [])[: first_number - 1] if row is not None else []
        await self._upsert(channel, key, [*kept, *payloads], now)

    async def _upsert(self, channel: str, key: str, payloads: list[str], now: datetime) -> None:
        await self.session.execute(
            _UPSERT, {"channel": channel, "key": key, "payloads": payloads, "now": now}
        )

    async def resolve(self, channel: str, external_id: str, number: int) -> str | None:
        """The payload shown as `number` in this chat, or None if no choice has that number."""
        row = await self.get(channel, external_id)
        if row is None or not 1 <= number <= len(row.payloads or []):
            return None
        return str(row.payloads[number - 1])

    async def forget_stale(
        self,
        channel: str,
        external_id: str,
        now: datetime,
        window: timedelta = CONTINUE_WINDOW,
    ) -> bool:
        """A message without choices arrived: older numbers stop meaning a choice.

        Otherwise a "1" typed in answer to a volunteer could press the "cancel request"
        shown minutes before. A menu of the same answer (shown within `window`) stays.
        """
        result = await self.session.execute(
            update(ChoiceMenuRow)
            .where(
                ChoiceMenuRow.channel == channel,
                ChoiceMenuRow.external_id == bounded_key(external_id),
                ChoiceMenuRow.updated_at <= now - window,
            )
            .values(payloads=[])
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) > 0

    async def close(
        self,
        channel: str,
        external_id: str,
        now: datetime,
        window: timedelta = CONTINUE_WINDOW,
    ) -> None:
        """The person answered: the next reply starts again at 1 (the shown numbers still work)."""
        await self.session.execute(  # one statement, the row is not read first
            update(ChoiceMenuRow)
            .where(
                ChoiceMenuRow.channel == channel,
                ChoiceMenuRow.external_id == bounded_key(external_id),
                ChoiceMenuRow.updated_at > now - window,
            )
            .values(updated_at=now - window)
            .execution_options(synchronize_session=False)
        )
