"""The boundaries the dialogue core depends on, as Protocols; adapters and storage fill them."""

from __future__ import annotations

from typing import Protocol

from bot.messages import ConversationKey, IncomingMessage, Reply
from bot.state import ConversationState

__all__ = ["ConversationStore", "Handoff", "MessageHandler"]


class ConversationStore(Protocol):
    """Loads and saves conversation state; any process may continue any conversation."""

    async def load(self, key: ConversationKey) -> ConversationState:
        """The state of a conversation (a fresh one if unknown)."""
        ...

    async def save(self, key: ConversationKey, value: ConversationState) -> None:
        """Store the new state of a conversation."""
        ...


class MessageHandler(Protocol):
    """What a channel adapter talks to: one incoming message in, replies out."""

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Process one message."""
        ...


class Handoff(Protocol):
    """Starts a support request: a volunteer of the citizen's commune takes over."""

    async def start(
        self, message: IncomingMessage, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        """Begin the request and return what to tell the citizen, and the new state."""
        ...
