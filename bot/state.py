"""What the bot remembers about one conversation between two messages."""

from __future__ import annotations

from dataclasses import dataclass

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
