"""The console's world (people of every role, two communes) for the studio's tests."""

from tests.console.conftest import client, world  # noqa: F401  (fixtures)
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)
