"""Publications made on one content version: the database keeps one, whatever the timing.

Two operators (or two workers) publishing on the same version at the same moment would each
write an overlay built without the other's change; the second must be refused, not stored.
Real SQLite file and PostgreSQL server.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import session_factory
from storage.content_versions import ContentVersionRepository, ContentVersionRow, StaleVersion

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


async def _add(repo: ContentVersionRepository, base: int, reason: str) -> ContentVersionRow:
    return await repo.add(NOW, None, "op", "publish", reason, {"examples": {}}, [], {}, base)


async def test_a_second_publication_on_the_same_version_is_refused(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        first = await _add(ContentVersionRepository(session), 0, "first")
    async with sessions.begin() as session:
        repo = ContentVersionRepository(session)
        with pytest.raises(StaleVersion):
            await _add(repo, 0, "second, made on version 0 too")
        # The transaction is still usable after the refusal (the insert was in a savepoint).
        again = await _add(repo, first.id, "made on the current version")
    async with sessions() as session:
        rows = (await session.execute(select(ContentVersionRow))).scalars().all()
    assert [(r.reason, r.base_id) for r in rows] == [("first", 0), (again.reason, first.id)]


async def test_concurrent_publications_on_postgresql_keep_one(
    engine: AsyncEngine, database_url: str
) -> None:
    """The second insert waits for the first transaction and is refused when it commits."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer at a time in: the race cannot happen there")
    sessions = session_factory(engine)
    async with sessions() as one, sessions() as two:
        await one.begin()
        await _add(ContentVersionRepository(one), 0, "one")
        await two.begin()
        waiting = asyncio.create_task(_add(ContentVersionRepository(two), 0, "two"))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # held by the first transaction's uncommitted row
        await one.commit()
        with pytest.raises(StaleVersion):
            await asyncio.wait_for(waiting, 10)
        await two.rollback()
    async with sessions() as session:
        reasons = (await session.execute(select(ContentVersionRow.reason))).scalars().all()
    assert reasons == ["one"]
