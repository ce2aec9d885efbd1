"""Channel adapters run against the real core and a real database (SQLite and PostgreSQL).

Only the platforms are fake: their HTTP APIs answer through in-process transports, and any
attempt to reach the network fails the test (see tests/conftest.py).
"""

from __future__ import annotations

from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import FakeClock, bot, clock, config, people  # noqa: F401

__all__ = ["FakeClock"]
