"""An answer's replies say where their numbered choices start (`outbox.menu_from`).

On a channel without buttons (Zalo Bot) choices are shown as "1. ...", "2. ..." and the
numbers remembered (storage/choices.py). A reply to the person's own message starts a new
menu (its first choice is 1; a second reply of the same answer continues the count), so the
sender need not read the last menu to know it, and the receipt need not close it first: two
statements fewer per answered message. NULL for notifications, which keep the time window.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("menu_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("menu_from")
