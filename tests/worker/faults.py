"""A real database error on demand: a trigger that refuses some inserts into one table.

The statement fails inside the database (SQLite `RAISE(ABORT)`, PostgreSQL `RAISE
EXCEPTION`), exactly as a constraint or a dropped connection would, so the code under test
sees the driver's own error and its transaction is rolled back by the database's rules.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["refused_inserts"]


@contextlib.asynccontextmanager
async def refused_inserts(engine: AsyncEngine, table: str, when: str) -> AsyncIterator[None]:
    """Inserts into `table` whose new row matches `when` (SQL on `NEW`) fail meanwhile."""
    name = f"refuse_{table}"
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION injected_failure() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
            )
            await connection.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION injected_failure()"
            )
        else:
            await connection.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {when} "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )
    try:
        yield
    finally:
        async with engine.begin() as connection:
            suffix = f" ON {table}" if engine.dialect.name == "postgresql" else ""
            await connection.exec_driver_sql(f"DROP TRIGGER {name}{suffix}")
