"""The operator's web console: sign-in links, sessions, the question log, missed questions.

See storage/console_models.py for what each table keeps and why.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_login_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
    )
    op.create_index("ix_console_login_links_person_id", "console_login_links", ["person_id"])
    op.create_index("ix_console_login_links_expires_at", "console_login_links", ["expires_at"])
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(length=64), primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("last_seen_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
    )
    op.create_index("ix_console_sessions_person_id", "console_sessions", ["person_id"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=120), nullable=True),
        sa.Column("province_code", sa.String(length=8), nullable=True),
        sa.Column("commune_code", sa.String(length=16), nullable=True),
    )
    op.create_index("ix_question_log_at_action", "question_log", ["at", "action"])
    op.create_table(
        "missed_questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=120), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("province_code", sa.String(length=8), nullable=True),
        sa.Column("commune_code", sa.String(length=16), nullable=True),
    )
    op.create_index("ix_missed_questions_at", "missed_questions", ["at"])
    op.create_index("ix_missed_questions_person_id", "missed_questions", ["person_id"])
    op.create_index("ix_missed_questions_status", "missed_questions", ["status"])


def downgrade() -> None:
    op.drop_table("missed_questions")
    op.drop_table("question_log")
    op.drop_table("console_sessions")
    op.drop_table("console_login_links")
