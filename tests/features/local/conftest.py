"""Whole conversations about help days, on SQLite and PostgreSQL (the storage suite's
`engine`), with the support suite's fake clock and people."""

from __future__ import annotations

from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)
