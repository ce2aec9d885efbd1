"""Databases for the storage suite: a SQLite file always, PostgreSQL when a server is given.

`make test` starts a throwaway PostgreSQL server and sets TROLYSO_TEST_POSTGRES_URL (see
.ci/with-postgres); without it the PostgreSQL half of every test is skipped with a message
(under CI=true it fails: a skip whose reason names PostgreSQL counts as a failure there, see
tests/conftest.py).
Each test gets an empty, freshly migrated database, so the migrations are tested too.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import create_engine
from storage.migrate import upgrade


def postgres_url() -> str:
    """The suite's PostgreSQL database, read when a test needs it: under pytest-xdist each
    worker points the variable at its own database (tests/conftest.py), possibly after this
    module was imported."""
    return os.environ.get("TROLYSO_TEST_POSTGRES_URL", "")


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        await connection.exec_driver_sql("CREATE SCHEMA public")
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        url = postgres_url()
        if not url:
            pytest.skip("PostgreSQL: set TROLYSO_TEST_POSTGRES_URL or run `make test`")
        asyncio.run(_reset_postgres(url))
    upgrade(url)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
