"""Tables of the operator's web console and of what the console reads about questions.

Registered on `storage.models.Base` when the `storage` package is imported (see
storage/__init__.py), so migrations, `create_all` and the schema test see them.

- `console_login_links`: one-time sign-in links; only a SHA-256 digest of the token is kept.
- `console_sessions`: signed-in browsers; only a digest of the session id is kept, so a
  copy of the table lets nobody sign in.
- `question_log`: one row per question the FAQ decided on (answer / clarify / fallback) and
  per feedback press (👍, 👎, "không phải các câu trên"). No text and no link to the person:
  the time is cut to the hour and the place is a commune at most, so a row cannot be traced
  back to whoever asked. Kept for the retention period.
- `missed_questions`: the masked text of a question that got the fallback, a 👎 or "không
  phải các câu trên", linked to the person so that /xoadulieu deletes it; kept for the
  retention period. Read by the console's missed-questions page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, utcnow

__all__ = ["ConsoleSessionRow", "LoginLinkRow", "MissedQuestionRow", "QuestionLogRow"]


class LoginLinkRow(Base):
    """A one-time sign-in link for one person: single use, short-lived, stored hashed."""

    __tablename__ = "console_login_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsoleSessionRow(Base):
    """A signed-in browser: idle and absolute expiry, and its CSRF token."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class QuestionLogRow(Base):
    """One FAQ decision or one feedback press; anonymous by construction (see module doc).

    action: answer | clarify | fallback (a question), or helpful | unhelpful | none (feedback).
    """

    __tablename__ = "question_log"
    __table_args__ = (Index("ix_question_log_at_action", "at", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # cut to the hour
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(120), nullable=True)
    province_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    commune_code: Mapped[str | None] = mapped_column(String(16), nullable=True)


class MissedQuestionRow(Base):
    """A question the bot did not answer well, masked; the learning loop's raw material.

    reason: fallback | unhelpful | none. status: open | resolved | dismissed (phase 2); a
    revert to a version before `resolved_version` opens it again.
    """

    __tablename__ = "missed_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(120), nullable=True)
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    province_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    commune_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The content version whose publication resolved it (attached, or a new intent from it).
    resolved_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
