"""A commune's own details and its help days, with the reminders citizens asked for (issue 15).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_TIME = sa.DateTime(timezone=True)

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_details",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("province_code", sa.String(8), nullable=False),
        sa.Column("desk_address", sa.String(300), nullable=False),
        sa.Column("opening_hours", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column(
            "updated_by",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.UniqueConstraint("level", "code", name="uq_local_details_place"),
    )
    op.create_index("ix_local_details_province_code", "local_details", ["province_code"])
    op.create_table(
        "help_days",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("commune_code", sa.String(16), nullable=False),
        sa.Column("province_code", sa.String(8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_time", sa.String(5), nullable=False),
        sa.Column("end_time", sa.String(5), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("remind_at", _TIME, nullable=False),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("cancelled_at", _TIME, nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_help_days_commune_code", "help_days", ["commune_code"])
    op.create_index("ix_help_days_province_code", "help_days", ["province_code"])
    op.create_index("ix_help_days_day", "help_days", ["day"])
    op.create_index("ix_help_days_remind_at", "help_days", ["remind_at"])
    op.create_table(
        "help_day_reminders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "help_day_id",
            sa.Integer(),
            sa.ForeignKey("help_days.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("asked_at", _TIME, nullable=False),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.Column("cancel_told_at", _TIME, nullable=True),
        sa.UniqueConstraint("help_day_id", "person_id", name="uq_help_day_reminder"),
    )
    op.create_index("ix_help_day_reminders_help_day_id", "help_day_reminders", ["help_day_id"])
    op.create_index("ix_help_day_reminders_person_id", "help_day_reminders", ["person_id"])
    op.create_index("ix_help_day_reminders_sent_at", "help_day_reminders", ["sent_at"])


def downgrade() -> None:
    op.drop_table("help_day_reminders")
    op.drop_table("help_days")
    op.drop_table("local_details")
