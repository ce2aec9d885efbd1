"""Failed attempts at guessable codes, for the attempt limiter.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_attempts_scope_subject_at", "attempts", ["scope", "subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_attempts_scope_subject_at", table_name="attempts")
    op.drop_table("attempts")
