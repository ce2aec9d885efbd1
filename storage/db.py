"""Engines and sessions: SQLite by default (a file in the data folder), PostgreSQL in production.

Repositories never commit; whoever handles a message owns the transaction
(`async with sessions.begin() as session: ...`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["create_engine", "one_statement", "session_factory", "sqlite_url"]


def sqlite_url(data_dir: Path) -> str:
    """The embedded default: one SQLite file in the data folder (created on first run)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / 'trolyso.db').resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, start transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a committed transaction
    # survives a crash or kill of the process; only a power cut or an OS crash may undo the
    # last few (never corrupt the file). PostgreSQL is the production database.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")  # a second process waits instead of failing
    # Deleted and overwritten content is zeroed, not left readable in free pages: a payload
    # dropped after handling or a conversation erased by /xoadulieu is gone from the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock when the transaction starts: two processes handling messages of the
    # same person then wait for each other (busy_timeout) instead of failing to upgrade a lock.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, pool_size: int | None = None) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg); `pool_size` sets a
    PostgreSQL pool's size (SQLAlchemy's default otherwise: 5, and 10 more at a peak)."""
    # hide_parameters: a database error must never carry a citizen's words into a log.
    sqlite = url.startswith("sqlite")
    options: dict[str, Any] = {"hide_parameters": True}
    if sqlite:
        # One writer at a time is all SQLite allows: transactions wait their turn for the one
        # connection, in order, instead of racing for the file lock in SQLite's busy handler
        # (which starves some of them past busy_timeout under a burst).
        options.update(pool_size=1, max_overflow=0, pool_timeout=60)
    else:
        # No ping on every checkout (a round trip per transaction, five per message): a
        # connection found dead fails its transaction once and SQLAlchemy's disconnect
        # handling invalidates the pool, so after an outage every connection is replaced
        # (the inbox replays what failed); none lives past an hour.
        options.update(pool_recycle=3600)
        if pool_size is not None:  # and half as many more at a peak, closed after it
            options.update(pool_size=pool_size, max_overflow=max(2, pool_size // 2))
    engine = create_async_engine(url, **options)
    if engine.dialect.name == "sqlite":
        # aiosqlite logs every call at DEBUG with its bound arguments (the citizen's words):
        # a DEBUG log level elsewhere must not turn that on.
        driver_log = logging.getLogger("aiosqlite")
        driver_log.setLevel(max(driver_log.level, logging.INFO))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay usable after commit (the asyncio docs' advice)."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def one_statement(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for a single statement that needs no transaction around it (a read, an upsert).

    On PostgreSQL it runs in autocommit: no BEGIN and COMMIT round trips, a third of the cost
    of a short transaction. SQLite keeps its usual transaction (its write lock is taken at
    BEGIN, see `_sqlite_begin`).
    """
    bind = sessions.kw.get("bind")
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
        async with AsyncSession(
            bind.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        ) as session:
            yield session
    else:
        async with sessions.begin() as session:
            yield session


async def warm(engine: AsyncEngine, connections: int) -> None:
    """Open up to `connections` of the pool's connections now, at start-up, not during the
    first burst: each costs a few round trips and some CPU (a new PostgreSQL connection is
    set up by SQLAlchemy and asyncpg), and a cold worker hit by 64 webhooks at once paid for
    them while those waited for their 200. Not for SQLite (one connection, opened on use)."""
    if engine.dialect.name == "sqlite" or connections <= 0:
        return
    pool_size = getattr(engine.pool, "size", lambda: connections)()
    count = max(1, min(connections, pool_size))
    async with contextlib.AsyncExitStack() as stack:
        opened = await asyncio.gather(
            *(stack.enter_async_context(engine.connect()) for _ in range(count))
        )
        await asyncio.gather(*(connection.exec_driver_sql("SELECT 1") for connection in opened))
