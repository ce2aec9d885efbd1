"""Compose the bot from settings: content, matcher, database, dialogue. No globals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.dialogue import Dialogue
from bot.messages import IncomingMessage, Reply
from bot.settings import Settings
from bot.state import ConversationState
from content import Content, load_content
from intents import Matcher, Thresholds
from storage import ConversationRepository, create_engine, session_factory

__all__ = ["Bot", "Services", "build_matcher", "compose", "conversation_store", "thresholds_of"]


def thresholds_of(content: Content) -> Thresholds:
    """The matcher thresholds an operator set in `content/config.yaml`."""
    config = content.config
    return Thresholds(
        answer_threshold=config.answer_threshold,
        ambiguity_gap=config.ambiguity_gap,
        max_choices=config.max_choices,
        max_message_chars=config.max_message_chars,
    )


def build_matcher(content: Content) -> Matcher:
    """Index every intent's examples (and its title, which citizens tap and retype)."""
    entries = [
        (intent.id, [*intent.examples, intent.title]) for intent in content.intents.values()
    ]
    return Matcher(entries, content.lexicon, thresholds_of(content))


def _restore(data: Mapping[str, Any]) -> ConversationState:
    return ConversationState.from_json(data)


def conversation_store(session: AsyncSession) -> ConversationRepository[ConversationState]:
    """The database-backed conversation store, bound to one transaction."""
    return ConversationRepository(session, ConversationState.to_json, _restore)


class Bot:
    """Handles each incoming message in one database transaction, so any worker can serve it."""

    def __init__(self, dialogue: Dialogue, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.dialogue = dialogue
        self.sessions = sessions

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Load state, answer, save state: all or nothing."""
        async with self.sessions.begin() as session:
            return await self.dialogue.handle(message, conversation_store(session))


@dataclass(frozen=True)
class Services:
    """The composed application, handed to whichever channel runs."""

    settings: Settings
    content: Content
    matcher: Matcher
    engine: AsyncEngine
    bot: Bot

    async def aclose(self) -> None:
        """Release database connections."""
        await self.engine.dispose()


def compose(settings: Settings) -> Services:
    """Build every service the bot needs from its settings (the schema must be up to date)."""
    content = load_content(Path(settings.content_dir))
    matcher = build_matcher(content)
    engine = create_engine(settings.resolved_database_url())
    bot = Bot(Dialogue(content, matcher), session_factory(engine))
    return Services(settings=settings, content=content, matcher=matcher, engine=engine, bot=bot)
