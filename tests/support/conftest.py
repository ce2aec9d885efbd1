"""A small world for whole conversations: one database, a fake clock, several people.

Every test here runs on SQLite and on PostgreSQL (the `engine` fixture of the storage suite).
People talk to the real core through `Bot.handle`; what the bot sends to others is read from
the stored outbox, as a channel adapter would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import payloads
from bot.assistant import Assistant
from bot.dialogue import Dialogue
from bot.features.reports.chat import ChatReports
from bot.messages import Button, ConversationKey, IncomingMessage, Reply
from bot.services import Bot
from bot.support.common import SupportConfig, Toolkit
from content import Content
from intents import Matcher
from intents.places import Places
from storage import session_factory
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam


@dataclass
class FakeClock:
    """The only clock the core sees in these tests."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Person:
    """Someone typing to the bot on one channel, remembering the buttons last shown."""

    bot: Bot
    key: ConversationKey
    shown: list[Button] = field(default_factory=list)
    counter: int = 0

    async def say(self, text: str, **extra: object) -> list[Reply]:
        message = IncomingMessage(self.key, text=text, **extra)  # type: ignore[arg-type]
        return self._remember(await self.bot.handle(message))

    async def press(self, title_part: str) -> list[Reply]:
        """Press the first shown button whose title contains `title_part`."""
        button = next((b for b in self.shown if title_part in b.title), None)
        assert button is not None, f"no button {title_part!r} in {[b.title for b in self.shown]}"
        return await self.send_payload(button.payload)

    async def send_payload(self, payload: str) -> list[Reply]:
        message = IncomingMessage(self.key, payload=payload, kind="button")
        return self._remember(await self.bot.handle(message))

    async def inbox(self) -> list[Reply]:
        """Notifications the bot queued for this person since last time."""
        deliveries = await self.bot.take_outgoing(self.key.channel, self.key.user_id)
        replies = [d.reply for d in deliveries]
        for reply in replies:
            if reply.buttons:
                self.shown = list(reply.buttons)
        return replies

    def _remember(self, replies: list[Reply]) -> list[Reply]:
        self.shown = [b for r in replies for b in r.buttons]
        return replies


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def claim_payload(replies: list[Reply]) -> str:
    for reply in replies:
        for button in reply.buttons:
            if payloads.parse(button.payload) and button.payload.startswith("c:"):
                return button.payload
    raise AssertionError("no claim button")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> SupportConfig:
    return SupportConfig(operators=frozenset({"console:operator"}))


@pytest.fixture
def bot(
    engine: AsyncEngine,  # noqa: F811
    content: Content,
    matcher: Matcher,
    places: Places,
    clock: FakeClock,
    config: SupportConfig,
) -> Bot:
    kit = Toolkit(content.support, places, config)
    assistant = Assistant(Dialogue(content, matcher), kit, ChatReports(kit))
    return Bot(assistant, session_factory(engine), clock)


@pytest.fixture
def people(bot: Bot):
    def make(name: str, channel: str = "console") -> Person:
        return Person(bot, ConversationKey(channel, name))

    return make
