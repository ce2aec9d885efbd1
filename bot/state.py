"""What the bot remembers about one conversation between two messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ConversationState"]


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Per-conversation memory; immutable, so every change goes through the store.

    Attributes:
        fallback_streak: fallbacks in a row; at two, the bot offers a person.
        pending_choices: intent ids offered in the last "did you mean" question.
        last_intent: the intent of the last answer given (for feedback and follow-ups).
    """

    fallback_streak: int = 0
    pending_choices: tuple[str, ...] = ()
    last_intent: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the database."""
        return {
            "fallback_streak": self.fallback_streak,
            "pending_choices": list(self.pending_choices),
            "last_intent": self.last_intent,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConversationState:
        """Rebuild from stored JSON; unknown or missing keys fall back to defaults."""
        return cls(
            fallback_streak=int(data.get("fallback_streak", 0)),
            pending_choices=tuple(str(i) for i in data.get("pending_choices", ())),
            last_intent=data.get("last_intent"),
        )
