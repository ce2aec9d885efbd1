"""A citizen's own commune, remembered once (issue 15: local answers, help days, news).

`people.commune_code` is the commune a citizen chose (from a help request, a poster's link or
`/xa`); `commune_set_at` when. Both are cleared by `/xoadulieu` with the rest of the person.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("commune_code", sa.String(16), nullable=True))
        batch.add_column(sa.Column("commune_set_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_people_commune_code", "people", ["commune_code"])


def downgrade() -> None:
    op.drop_index("ix_people_commune_code", table_name="people")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("commune_set_at")
        batch.drop_column("commune_code")
