"""Alembic migrations, run from code: `trolyso db upgrade` and the start of `make run`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["alembic_config", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for this database, without an alembic.ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database schema up to date (creates the SQLite file if needed).

    Synchronous on purpose: Alembic's async env runs its own event loop. Call it before the
    bot's loop starts, or in a worker thread.
    """
    command.upgrade(alembic_config(url), revision)
