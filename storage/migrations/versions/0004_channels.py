"""Channels: stored webhook deliveries, tokens, numbered menus, outbox leases and files.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.UniqueConstraint("channel", "external_id"),
    )
    op.create_index("ix_inbound_events_received_at", "inbound_events", ["received_at"])
    op.create_index("ix_inbound_events_handled_at", "inbound_events", ["handled_at"])
    op.create_table(
        "channel_tokens",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("access_token", sa.String(2048), nullable=False),
        sa.Column("refresh_token", sa.String(2048), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(200), nullable=True),
    )
    op.create_table(
        "choice_menus",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("external_id", sa.String(128), primary_key=True),
        sa.Column("payloads", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attachment_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("attachment_type", sa.String(80), nullable=True))
        batch.add_column(sa.Column("attachment_data", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("identities") as batch:
        batch.add_column(sa.Column("menu_role", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identities") as batch:
        batch.drop_column("menu_role")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attachment_data")
        batch.drop_column("attachment_type")
        batch.drop_column("attachment_name")
        batch.drop_column("lease_until")
    op.drop_table("choice_menus")
    op.drop_table("channel_tokens")
    op.drop_index("ix_inbound_events_handled_at", "inbound_events")
    op.drop_index("ix_inbound_events_received_at", "inbound_events")
    op.drop_table("inbound_events")
