"""Tables of news campaigns (/nhantin): who opted in, each campaign, each recipient's message.

Registered on `storage.models.Base` when the `storage` package is imported (see
storage/__init__.py), so migrations, `create_all` and the schema test see them. The rules
and the sender are in bot/features/campaigns/, the queries in storage/campaigns.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime

__all__ = ["CampaignRecipientRow", "CampaignRow", "SubscriptionRow"]


class SubscriptionRow(Base):
    """A citizen's opt-in to news of their commune (/nhantin); deleted by /tatnhantin."""

    __tablename__ = "subscriptions"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    commune_code: Mapped[str] = mapped_column(String(16), index=True)
    province_code: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # where the citizen opted in
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignRow(Base):
    """A message to the subscribers of one commune or a whole province.

    `status`: draft -> sending <-> paused -> done | cancelled. `day` is the local date it
    started (at most one campaign a day per commune unless `extra_allowed`).
    """

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_province_day", "province_code", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    province_code: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    text: Mapped[str] = mapped_column(String(2000))
    button_intent: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date | None] = mapped_column(Date, nullable=True)
    extra_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CampaignRecipientRow(Base):
    """One subscriber of one campaign, and what became of their message.

    `state`: pending -> sending -> sent | failed, or skipped / cancelled. A row is marked
    `sending` (committed) before its one send is attempted and never attempted again, so
    nobody gets a campaign twice; a worker killed mid-send leaves `sending` rows that are
    settled as failed "interrupted" once their lease ends.
    """

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "person_id"),
        Index("ix_campaign_recipients_work", "state", "channel", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    commune_code: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
