"""Raw platform deliveries are no longer kept: the inbox holds a masked record until handled.

Before, `inbound_events.payload` kept each platform update whole (the citizen's text with any
ID, phone or OTP in it) for as long as the row lived, after it was handled and after the
citizen's `/xoadulieu`. Now a row holds a masked record only until it is handled, plus the
conversation it belongs to (`chat`), so `/xoadulieu` can drop it. Handled rows lose their
payload here; rows not yet handled keep theirs until they are (then it goes). Replays are spaced
(`last_attempt_at`) so a few failed attempts span minutes, not one busy second.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.add_column(sa.Column("chat", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=True)
        batch.create_index("ix_inbound_events_chat", ["chat"])
    op.execute("UPDATE inbound_events SET payload = NULL WHERE handled_at IS NOT NULL")


def downgrade() -> None:
    op.execute("UPDATE inbound_events SET payload = '{}' WHERE payload IS NULL")
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_index("ix_inbound_events_chat")
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("last_attempt_at")
        batch.drop_column("chat")
