"""Link codes wait for the original account to confirm: who asked to be linked.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("link_codes") as batch:
        batch.add_column(sa.Column("requester_channel", sa.String(16), nullable=True))
        batch.add_column(sa.Column("requester_user_id", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("link_codes") as batch:
        batch.drop_column("requester_user_id")
        batch.drop_column("requester_channel")
