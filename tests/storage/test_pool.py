"""A worker's PostgreSQL pool holds as many connections as the work in hand.

With SQLAlchemy's default pool (5, and 10 more at a peak, closed when given back) a burst
opened and closed a connection for nearly every message: 1,690 for 1,500 messages, each
negotiating and preparing its statements again. `TROLYSO_DB_POOL_SIZE` (default 20) keeps
them open.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage import create_engine
from tests.storage.conftest import postgres_url


def test_the_pool_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TROLYSO_DB_POOL_SIZE", raising=False)
    assert Settings().db_pool_size == 20
    monkeypatch.setenv("TROLYSO_DB_POOL_SIZE", "7")
    assert Settings().db_pool_size == 7


async def _two_bursts(engine: AsyncEngine, at_once: int) -> int:
    """Two rounds of `at_once` connections held together; how many were opened."""
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(engine.sync_engine, "connect", count)
    for _ in range(2):
        hold = asyncio.Event()

        async def busy(hold: asyncio.Event = hold) -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                await hold.wait()  # all at once, as a burst's answers are

        tasks = [asyncio.create_task(busy()) for _ in range(at_once)]
        await asyncio.sleep(0.2)
        hold.set()
        await asyncio.gather(*tasks)
    return opened


async def test_a_burst_reuses_the_pools_connections_instead_of_opening_new_ones() -> None:
    url = postgres_url()
    if not url:
        pytest.skip("PostgreSQL: set TROLYSO_TEST_POSTGRES_URL or run `make test`")
    for size, expected in ((None, 9), (8, 7)):  # the default pool: 5 kept, 2 reopened
        engine = create_engine(url, pool_size=size)
        try:
            opened = await _two_bursts(engine, 7)
        finally:
            await engine.dispose()
        assert opened == expected, f"pool_size={size}: {opened} connections opened"
