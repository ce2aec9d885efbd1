"""The support suite's small world, on SQLite and PostgreSQL."""

from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)
