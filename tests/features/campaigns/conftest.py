"""The support suite's small world (a Bot on a fake clock, people who talk to it), on SQLite
and PostgreSQL, and a fake platform sender that records what a campaign sends."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.delivery import SendError
from bot.messages import Reply
from tests.console.conftest import world  # noqa: F401  (fixture)
from tests.faults.postgres import fresh_database
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)


@dataclass
class RecordingSender:
    """A platform that accepts every message (or refuses some chats) and records them."""

    channel: str = "console"
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    refuse: dict[str, SendError] = field(default_factory=dict)

    async def send(self, external_id: str, reply: Reply) -> str | None:
        if external_id in self.refuse:
            raise self.refuse[external_id]
        self.sent.append((external_id, reply))
        return str(len(self.sent))

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        return await self.send(external_id, reply)

    def chats(self) -> list[str]:
        return [chat for chat, _ in self.sent]


@pytest.fixture
async def shared_postgres() -> AsyncIterator[str]:
    """A fresh database on the suite's PostgreSQL server (TROLYSO_TEST_POSTGRES_URL)."""
    server = os.environ.get("TROLYSO_TEST_POSTGRES_URL", "")
    if not server:
        pytest.skip("PostgreSQL: set TROLYSO_TEST_POSTGRES_URL or run `make test`")
    async with fresh_database(server) as url:
        yield url
