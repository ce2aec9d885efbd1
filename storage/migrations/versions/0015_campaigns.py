"""Subscriptions to a commune's news and campaign messages, one row per recipient (issue 15).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("commune_code", sa.String(16), nullable=False),
        sa.Column("province_code", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index("ix_subscriptions_commune_code", "subscriptions", ["commune_code"])
    op.create_index("ix_subscriptions_province_code", "subscriptions", ["province_code"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("province_code", sa.String(16), nullable=False),
        sa.Column("commune_code", sa.String(16), nullable=True),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("button_intent", sa.String(80), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("extra_allowed", sa.Boolean(), nullable=False),
        sa.Column("started_at", _AT, nullable=True),
        sa.Column("finished_at", _AT, nullable=True),
    )
    op.create_index("ix_campaigns_status", "campaigns", ["status"])
    op.create_index("ix_campaigns_province_day", "campaigns", ["province_code", "day"])
    op.create_table(
        "campaign_recipients",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("commune_code", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", _AT, nullable=True),
        sa.Column("lease_until", _AT, nullable=True),
        sa.Column("sent_at", _AT, nullable=True),
        sa.UniqueConstraint("campaign_id", "person_id"),
    )
    op.create_index("ix_campaign_recipients_campaign_id", "campaign_recipients", ["campaign_id"])
    op.create_index(
        "ix_campaign_recipients_work",
        "campaign_recipients",
        ["state", "channel", "campaign_id"],
    )


def downgrade() -> None:
    op.drop_table("campaign_recipients")
    op.drop_index("ix_campaigns_province_day", table_name="campaigns")
    op.drop_index("ix_campaigns_status", table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_index("ix_subscriptions_province_code", table_name="subscriptions")
    op.drop_index("ix_subscriptions_commune_code", table_name="subscriptions")
    op.drop_table("subscriptions")
