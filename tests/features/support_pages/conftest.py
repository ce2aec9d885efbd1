"""The console world (tests/console/conftest.py) for the support pages' tests."""

from __future__ import annotations

from tests.console.conftest import client, world  # noqa: F401  (fixtures)
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)
