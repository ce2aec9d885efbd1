"""Local details of communes and provinces: read for answers, written by leaders/operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.local_models import LocalDetailsRow

__all__ = ["FIELDS", "LocalDetails", "LocalRepository"]

# field -> longest accepted text (the column's size).
FIELDS: dict[str, int] = {
    "desk_address": 300,
    "opening_hours": 200,
    "contact": 200,
    "note": 500,
}


@dataclass(frozen=True)
class LocalDetails:
    """What is known for a citizen's commune: each field from the commune, else the province."""

    desk_address: str = ""
    opening_hours: str = ""
    contact: str = ""
    note: str = ""

    @property
    def known(self) -> bool:
        return any((self.desk_address, self.opening_hours, self.contact, self.note))


class LocalRepository:
    """Read and write `local_details`; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def row(self, level: str, code: str) -> LocalDetailsRow | None:
        query = select(LocalDetailsRow).where(
            LocalDetailsRow.level == level, LocalDetailsRow.code == code
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def rows(self, province_codes: list[str] | None = None) -> list[LocalDetailsRow]:
        query = select(LocalDetailsRow).order_by(LocalDetailsRow.level, LocalDetailsRow.code)
        if province_codes is not None:
            query = query.where(LocalDetailsRow.province_code.in_(province_codes))
        return list((await self.session.execute(query)).scalars())

    async def for_commune(self, commune_code: str, province_code: str) -> LocalDetails:
        """The commune's own values, each missing one taken from the province's default."""
        commune = await self.row("commune", commune_code)
        province = await self.row("province", province_code)
        values: dict[str, str] = {}
        for name in FIELDS:
            own = getattr(commune, name, "") if commune is not None else ""
            default = getattr(province, name, "") if province is not None else ""
            values[name] = own or default
        return LocalDetails(**values)

    async def save(
        self,
        level: str,
        code: str,
        province_code: str,
        values: dict[str, str],
        by: int | None,
        now: datetime,
    ) -> LocalDetailsRow:
        """Create or update one place's details (only the fields given change)."""
        row = await self.row(level, code)
        if row is None:
            row = LocalDetailsRow(
                level=level,
                code=code,
                province_code=province_code,
                desk_address="",
                opening_hours="",
                contact="",
                note="",
            )
            self.session.add(row)
        for name, limit in FIELDS.items():
            if name in values:
                setattr(row, name, values[name].strip()[:limit])
        row.updated_at = now
        row.updated_by = by
        await self.session.flush()
        return row
