"""Tables of a commune's own details and help days (issue 15).

Registered on `storage.models.Base` when the `storage` package is imported (see
storage/__init__.py), so migrations, `create_all` and the schema test see them.

- `local_details`: per commune (level "commune") or, as a default, per province (level
  "province"): the one-stop desk's address and opening hours, the team's public contact and a
  short local note. Public facts about a place, kept by its team leader or an operator.
- `help_days`: a help day a team posts (date, time, place, topics, note); cancelled days and
  past days are kept for the reports.
- `help_day_reminders`: who pressed "Nhắc tôi" for a help day; `sent_at` is set in the same
  transaction that queues the reminder, so a reminder goes out once whatever the workers do.
  `cancel_told_at` likewise for the "this day is cancelled" message. A person's rows go with
  /xoadulieu (ON DELETE CASCADE is not enough: people rows are kept, so they are deleted).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, utcnow

__all__ = ["HelpDayReminderRow", "HelpDayRow", "LocalDetailsRow"]


class LocalDetailsRow(Base):
    """What a citizen of a commune (or, by default, of a province) needs to know locally."""

    __tablename__ = "local_details"
    __table_args__ = (UniqueConstraint("level", "code", name="uq_local_details_place"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    level: Mapped[str] = mapped_column(String(12))  # commune | province
    code: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    desk_address: Mapped[str] = mapped_column(String(300), default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )


class HelpDayRow(Base):
    """A help day at the cultural house (or wherever the team meets people)."""

    __tablename__ = "help_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commune_code: Mapped[str] = mapped_column(String(16), index=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[str] = mapped_column(String(5))  # "07:30", local time
    end_time: Mapped[str] = mapped_column(String(5), default="")
    place: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default="planned")  # planned | cancelled
    # When the reminders go out: the day before, at REMIND_HOUR local time.
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class HelpDayReminderRow(Base):
    """One person who asked to be reminded of one help day."""

    __tablename__ = "help_day_reminders"
    __table_args__ = (UniqueConstraint("help_day_id", "person_id", name="uq_help_day_reminder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    help_day_id: Mapped[int] = mapped_column(
        ForeignKey("help_days.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    cancel_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
