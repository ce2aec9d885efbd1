"""Published content versions: the learning loop's changes over the shipped content.

Each row is a whole overlay (content/published.py), not a delta, so the current content is
one row and a revert is a copy of an older row. The newest row is the current version; no
row means the shipped baseline (version 0). Workers check `current_id` every round: one
primary-key lookup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime

__all__ = ["ContentVersionRepository", "ContentVersionRow", "StaleVersion"]


class StaleVersion(Exception):
    """Another publication was made on the same version first."""


class ContentVersionRow(Base):
    """One publication: the full overlay, what changed against the previous one, and why.

    action: publish | revert. `diff`: [{"intent", "added": [...], "removed": [...]}].
    The author's handle is kept beside the id so the list still says who after a deletion.
    `base_id` is the version it was made on (0: the shipped content), unique: two
    publications made on one version cannot both stand (the second would drop the first's
    change), so the database refuses the second one.
    """

    __tablename__ = "content_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    author: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    overlay: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    diff: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ux_content_versions_base", "base_id", unique=True),)


class ContentVersionRepository:
    """Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current_id(self) -> int:
        """The current version (0: the shipped baseline)."""
        found = await self.session.scalar(select(func.max(ContentVersionRow.id)))
        return int(found or 0)

    async def get(self, version: int) -> ContentVersionRow | None:
        return await self.session.get(ContentVersionRow, version)

    async def listing(self, limit: int = 100) -> list[ContentVersionRow]:
        query = select(ContentVersionRow).order_by(ContentVersionRow.id.desc()).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def add(
        self,
        at: datetime,
        author_id: int | None,
        author: str,
        action: str,
        reason: str,
        overlay: dict[str, Any],
        diff: list[dict[str, Any]],
        figures: dict[str, Any],
        base_id: int,
    ) -> ContentVersionRow:
        """Add the version made on `base_id`; `StaleVersion` when another was made on it first
        (the caller's transaction stays usable: the insert is in a savepoint)."""
        row = ContentVersionRow(
            at=at,
            author_id=author_id,
            author=author[:64],
            action=action,
            reason=reason[:300],
            overlay=overlay,
            diff=diff,
            figures=figures,
            base_id=base_id,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as error:
            raise StaleVersion(base_id) from error
        return row
