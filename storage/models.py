"""Database tables, as typed SQLAlchemy 2.0 models.

Only column types both SQLite and PostgreSQL support: strings, integers, JSON, timezone-aware
timestamps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AuditRow",
    "Base",
    "ChannelTokenRow",
    "ChoiceMenuRow",
    "ConversationRow",
    "FieldLogRow",
    "HelpRequestRow",
    "IdentityRow",
    "InboundEventRow",
    "InviteRow",
    "LinkCodeRow",
    "OutboxRow",
    "PersonRow",
    "ProcessedUpdateRow",
    "RelayMessageRow",
    "RequestEventRow",
    "SendBudgetRow",
    "TeamRow",
    "TimerRow",
    "UTCDateTime",
    "VolunteerCommuneRow",
    "VolunteerRow",
    "utcnow",
]


def utcnow() -> datetime:
    """Now, timezone-aware (UTC)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every engine (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every table."""


class ConversationRow(Base):
    """Where one person on one channel is in the dialogue; any worker may continue it."""

    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- People, roles and teams -------------------------------------------------------------


class PersonRow(Base):
    """Someone who talks to the bot; one person may reach it on several channels.

    `role` is the highest role held: citizen < volunteer < leader < operator. `handle` is a
    short public code (shown by /toi) that an operator or leader types to name this person,
    so nobody ever has to pass a channel id around.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handle: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="citizen")
    display_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A citizen's own commune (issue 15), chosen once and changed with /xa; cleared by /xoadulieu.
    commune_code: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    commune_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdentityRow(Base):
    """One (channel, external id) pair: how a person is reached on one channel."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The role whose command menu this chat shows (Telegram); refreshed when the role changes.
    menu_role: Mapped[str | None] = mapped_column(String(16), nullable=True)


class TeamRow(Base):
    """A community digital technology team (or youth-union team) of one commune."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    commune_code: Mapped[str] = mapped_column(String(16), index=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VolunteerRow(Base):
    """What a volunteer (or leader) offers: skills, duty switch, concurrent-session limit."""

    __tablename__ = "volunteers"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    max_sessions: Mapped[int] = mapped_column(Integer, default=2)


class VolunteerCommuneRow(Base):
    """A commune a volunteer serves (a volunteer may serve several)."""

    __tablename__ = "volunteer_communes"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    commune_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class InviteRow(Base):
    """A code a team leader hands out so volunteers can join the team (limited uses, expires)."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# --- Support requests (the mediated handoff) ------------------------------------------------


class HelpRequestRow(Base):
    """A citizen's request for a person, from intake to rating.

    status: open (waiting for a claim) -> active (claimed) -> closed; or cancelled / expired.
    Durations are computed from `request_events`, never typed by anyone.
    """

    __tablename__ = "help_requests"
    # A report reads one place's or one team's requests of a period (`/baocao`: a team's
    # month); an index per scope, ordered by time, serves it without reading the others.
    __table_args__ = (
        Index("ix_help_requests_team_created", "team_id", "created_at"),
        Index("ix_help_requests_commune_created", "commune_code", "created_at"),
        Index("ix_help_requests_province_created", "province_code", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(12), unique=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    citizen_channel: Mapped[str] = mapped_column(String(16))
    citizen_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    pseudonym: Mapped[str] = mapped_column(String(40))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    volunteer_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    volunteer_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    topic: Mapped[str] = mapped_column(String(32))
    commune_code: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(500), default="")
    mode: Mapped[str] = mapped_column(String(16), default="chat")
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(String(500), nullable=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the first `created`, `claimed` and end (`ended` or `idle_closed`) event happened:
    # copies of request_events kept as each event is inserted (storage.request_times), so a
    # report over a year reads one row per request instead of grouping every event.
    first_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RequestEventRow(Base):
    """One state change of a help request: who did what, when (actor None = the bot)."""

    __tablename__ = "request_events"
    # Who claimed which request, read by reports without touching the other events.
    __table_args__ = (
        Index(
            "ix_request_events_claims",
            "request_id",
            "actor_id",
            postgresql_where=text("kind = 'claimed'"),
            sqlite_where=text("kind = 'claimed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RelayMessageRow(Base):
    """A message relayed inside a support session, masked before storage; purged by retention."""

    __tablename__ = "relay_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(16))  # citizen | volunteer
    text: Mapped[str] = mapped_column(String(4096))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# --- Outgoing sends and timers (stored, so a restart loses nothing) ------------------------------


class OutboxRow(Base):
    """A message to someone other than the sender of the current update (or an edit of one).

    Channel adapters deliver pending rows and record the platform's message id, so a later
    row can edit it (a claim button that becomes "already taken").
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    external_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(String(8192))
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    tag: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    edit_of: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    platform_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A delivery in progress: who took the row and until when (another worker may retake it).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A file sent with the message (a report); the bytes are dropped once it is sent.
    attachment_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    attachment_type: Mapped[str | None] = mapped_column(String(80), nullable=True)
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # An answer's reply: the number its first choice is shown as where choices are typed
    # numbers (None: a notification, numbered after a menu shown moments before, else from 1).
    menu_from: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TimerRow(Base):
    """Something the bot must do later (escalate, give up, close an idle session)."""

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=True, index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class ProcessedUpdateRow(Base):
    """Platform updates already handled: redelivered webhooks get no second reply."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InboundEventRow(Base):
    """A webhook delivery stored before it is acknowledged, so a crash loses nothing.

    The unique (channel, external_id) pair turns a platform's redelivery into a no-op. Rows
    are taken for processing under a lease (bot/inbox_processor.py, storage/inbox_claims.py).
    """

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index(
            "ix_inbound_events_open",
            "channel",
            "chat",
            "id",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    # What a replay needs (a masked record), dropped once handled; the conversation it
    # belongs to, for /xoadulieu and the apology when the bot gives up.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    chat: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Held by a worker until then; `failed`: its retry is due then (storage/inbox_claims.py).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ChoiceMenuRow(Base):
    """The buttons last shown as numbers on a text-only channel, so "2" can press the second.

    Kept in the database, not in the process, so the answer may reach another worker.
    """

    __tablename__ = "choice_menus"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    payloads: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelTokenRow(Base):
    """Credentials a channel renews itself (the Zalo OA access and single-use refresh token).

    Renewal locks this row, re-reads the expiry and writes the new pair in one transaction,
    so two workers never spend the same refresh token.
    """

    __tablename__ = "channel_tokens"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(String(2048))
    refresh_token: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a refresh was refused: sends stop until an operator authorizes again.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure: Mapped[str | None] = mapped_column(String(200), nullable=True)


# --- Field logs and audit ------------------------------------------------------------------


class FieldLogRow(Base):
    """In-person help (a Sunday at the cultural house, door to door), logged after the fact."""

    __tablename__ = "field_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    commune_code: Mapped[str] = mapped_column(String(16), index=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    volunteer_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    citizens_helped: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(String(1000), default="")
    source: Mapped[str] = mapped_column(String(16), default="chat")  # chat | import | demo
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditRow(Base):
    """Who did something sensitive: role changes, invites, refusals, deletions, exports."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LinkCodeRow(Base):
    """A short-lived code that joins a second channel to the same person (/lienket)."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The chat that typed the code, waiting for the original account to confirm.
    requester_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    requester_user_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class AttemptRow(Base):
    """A failed attempt at something guessable (an invite or link code; later a log-in link).

    Counted per subject ("person:12", "chat:telegram:345") over a sliding window; rows older
    than a day are purged.
    """

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_scope_subject_at", "scope", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SendBudgetRow(Base):
    """How many sends of a platform's budget were taken in one second, by every worker.

    One row per channel, moved on to each new second: workers take slots from it in small
    blocks, so N workers together keep under the platform's rate (Telegram: 30 a second).
    """

    __tablename__ = "send_budget"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    second: Mapped[int] = mapped_column(BigInteger)  # Unix time, whole seconds
    used: Mapped[int] = mapped_column(Integer)


# --- Subscriptions and campaign messages (issue 15) -----------------------------------------
