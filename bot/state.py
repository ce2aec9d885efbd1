"""What the bot remembers about one conversation between two messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ConversationState"]


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Per-conversation memory; immutable, so every change goes through the store.

    Attributes:
        fallback_streak: fallbacks in a row; at two, the bot offers a person.
        pending_choices: intent ids offered in the last "did you mean" question.
        last_intent: the intent of the last answer given (for feedback and follow-ups).
        flow: the multi-step form in progress ("intake", "field_log", ...), if any.
        step: the question of that form the person is answering.
        form: answers given so far (plain JSON values).
        focus: the reference code of the support session a volunteer is writing in.
        commune_hint: a commune code from a poster's link (`/start xa<code>`), offered
            first when the citizen asks for a person.
        last_question: the last question answered or clarified, masked, so that a 👎 or
            "không phải các câu trên" pressed next can be kept as a missed question.
    """

    fallback_streak: int = 0
    pending_choices: tuple[str, ...] = ()
    last_intent: str | None = None
    flow: str | None = None
    step: str | None = None
    form: Mapping[str, Any] = field(default_factory=dict)
    focus: str | None = None
    commune_hint: str | None = None
    last_question: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the database."""
        return {
            "fallback_streak": self.fallback_streak,
            "pending_choices": list(self.pending_choices),
            "last_intent": self.last_intent,
            "flow": self.flow,
            "step": self.step,
            "form": dict(self.form),
            "focus": self.focus,
            "commune_hint": self.commune_hint,
            "last_question": self.last_question,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConversationState:
        """Rebuild from stored JSON; unknown or missing keys fall back to defaults."""
        form = data.get("form")
        return cls(
            fallback_streak=int(data.get("fallback_streak", 0)),
            pending_choices=tuple(str(i) for i in data.get("pending_choices", ())),
            last_intent=data.get("last_intent"),
            flow=data.get("flow"),
            step=data.get("step"),
            form=dict(form) if isinstance(form, Mapping) else {},
            focus=data.get("focus"),
            commune_hint=data.get("commune_hint"),
            last_question=data.get("last_question"),
        )
