"""Inbox rows are processed under a lease: any worker takes a chat's oldest open delivery.

`inbound_events.lease_until`: the row is held until then, by the worker processing it (renewed
while it runs) or, after a failure (`failed`), until its retry is due. A lease that ran out is
a dead worker's: any worker replays the row. `failed` rows do not hold up their chat's later
messages while they wait for their retry. The partial index serves the claim's two questions,
"open rows of this channel, oldest first" and "an earlier open row of this chat?".

Revision ID: 0018
Revises: 0017 (0017_publication_base reached main first, on 0015: one line of migrations, not
two heads; a database already at 0017 gets this one next)
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_OPEN = sa.text("handled_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("failed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_inbound_events_open",
        "inbound_events",
        ["channel", "chat", "id"],
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_events_open", table_name="inbound_events")
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_column("failed")
        batch.drop_column("lease_until")
