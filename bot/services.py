"""Compose the bot from settings: content, matcher, store and dialogue. No globals."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.dialogue import Dialogue
from bot.messages import ConversationKey
from bot.ports import ConversationStore
from bot.settings import Settings
from bot.state import ConversationState
from content import Content, load_content
from intents import Matcher, Thresholds
from storage import InMemoryStore

__all__ = ["Services", "build_matcher", "compose", "thresholds_of"]


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


@dataclass(frozen=True)
class Services:
    """The composed application, handed to whichever channel runs."""

    settings: Settings
    content: Content
    matcher: Matcher
    dialogue: Dialogue


def compose(settings: Settings, store: ConversationStore | None = None) -> Services:
    """Build every service the bot needs from its settings."""
    content = load_content(Path(settings.content_dir))
    matcher = build_matcher(content)
    if store is None:
        memory: InMemoryStore[ConversationKey, ConversationState] = InMemoryStore(
            ConversationState
        )
        store = memory
    dialogue = Dialogue(content, matcher, store)
    return Services(settings=settings, content=content, matcher=matcher, dialogue=dialogue)
