"""The support suite's small world (a Bot on a fake clock, people who talk to it), on SQLite
and PostgreSQL, and a fake platform sender that records what a campaign sends."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.delivery import SendError
from bot.messages import Reply
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
