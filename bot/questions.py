"""What the FAQ decided, recorded for the console: the question log and missed questions.

The dialogue core calls a `QuestionRecorder` (a port, so `bot.dialogue` stays free of the
database); `StoredQuestions` is the one the assistant binds to the transaction answering the
message, so the rows commit with the answer or not at all. Texts arrive masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.questions import QuestionLogRepository

__all__ = ["QuestionRecorder", "StoredQuestions"]


class QuestionRecorder(Protocol):
    """Where the dialogue reports its decisions (nothing is awaited: rows ride the commit)."""

    def asked(self, action: str, intent: str | None, masked_text: str) -> None:
        """A question was answered, clarified or got the fallback."""

    def feedback(self, action: str, intent: str | None, masked_question: str | None) -> None:
        """👍 (helpful), 👎 (unhelpful) or "không phải các câu trên" (none) was pressed."""


@dataclass
class StoredQuestions:
    """The recorder of one message: one log row, plus a missed question when it missed."""

    questions: QuestionLogRepository
    now: datetime
    channel: str
    person_id: int | None
    province_code: str | None = None
    commune_code: str | None = None

    def asked(self, action: str, intent: str | None, masked_text: str) -> None:
        self.questions.log(
            self.now, self.channel, action, intent, self.province_code, self.commune_code
        )
        if action == "fallback" and masked_text.strip():
            self._missed("fallback", None, masked_text)

    def feedback(self, action: str, intent: str | None, masked_question: str | None) -> None:
        self.questions.log(
            self.now, self.channel, action, intent, self.province_code, self.commune_code
        )
        if action != "helpful" and masked_question and masked_question.strip():
            self._missed(action, intent, masked_question)

    def _missed(self, reason: str, intent: str | None, text: str) -> None:
        self.questions.missed(
            self.now,
            self.person_id,
            self.channel,
            reason,
            text,
            intent,
            self.province_code,
            self.commune_code,
        )
