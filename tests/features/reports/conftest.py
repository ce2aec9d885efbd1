"""Databases for the report tests.

`engine` (SQLite always, PostgreSQL when given) and the support suite's small world (a Bot on
a fake clock, people who talk to it) come from those suites; `contact_db` is the figures
suite's example database on SQLite, with phones and channel ids in it, for the outputs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import create_engine, session_factory
from storage.models import Base, HelpRequestRow, PersonRow
from tests.features.reports.test_figures import seed
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)


@pytest.fixture
async def contact_db(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The figures suite's example database (phones and channel ids included), on SQLite."""
    sqlite = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'report.db'}")
    async with sqlite.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with session_factory(sqlite).begin() as session:
        await seed(session)
        session.add(PersonRow(handle="PH7", role="volunteer", display_name="Anh 0987654321"))
        await session.execute(
            update(HelpRequestRow).values(
                description="gọi tôi 0909123456", rating_comment="số tôi 0909123456"
            )
        )
    yield sqlite
    await sqlite.dispose()
