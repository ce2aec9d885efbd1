"""The real core on a real database (SQLite always, PostgreSQL when given), a fake clock."""

from __future__ import annotations

from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)
