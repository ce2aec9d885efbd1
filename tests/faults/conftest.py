"""Fixtures of the fault tests: the real core on a real database, PostgreSQL servers to run
the real server on (or to stop)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.faults.postgres import LocalPostgres, free_port, fresh_database, postgres_bindir
from tests.faults.scenarios import Load
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)

FIRST_OWN_PORT = 54351  # servers the fault tests start themselves (see .ci/with-postgres)


@pytest.fixture
def load() -> Load:
    """240 questions from 30 chats, 60 per second: a test ends in about 20 s when all is
    well, in about 35 s when replies are missing and the whole 15 s deadline is waited.
    (With leases that do not outlive a killed process, every reply arrives within a few
    seconds of the stream's end.)"""
    return Load(updates=240, chats=30, concurrency=8, rate=60.0, deadline=15.0)


@pytest.fixture
async def shared_postgres() -> AsyncIterator[str]:
    """A fresh database on the suite's PostgreSQL server (TROLYSO_TEST_POSTGRES_URL)."""
    server = os.environ.get("TROLYSO_TEST_POSTGRES_URL", "")
    if not server:
        pytest.skip("PostgreSQL: set TROLYSO_TEST_POSTGRES_URL or run `make test`")
    async with fresh_database(server) as url:
        yield url


@pytest.fixture
def own_postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server of this test's own, which it may stop and start."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries are not installed (/usr/lib/postgresql/*/bin)")
    # Each pytest-xdist worker searches its own range, so two never race for one port.
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    server = LocalPostgres(bindir, free_port(FIRST_OWN_PORT + 200 * worker))
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()
