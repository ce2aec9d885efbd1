"""Publications cannot overwrite each other; a revert reopens the questions it un-learns.

`content_versions.base_id` is the version a publication was made on (0: the shipped content),
unique: of two publications made on the same version, the second is refused instead of
silently dropping the first one's change. Rows published before have none (NULL, not unique).

`missed_questions.resolved_version` is the version whose publication resolved the question
(attached as an example, or the start of a new intent), so that a revert to an earlier
version puts those questions back in the missed list.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content_versions") as batch:
        batch.add_column(sa.Column("base_id", sa.Integer(), nullable=True))
    op.create_index("ux_content_versions_base", "content_versions", ["base_id"], unique=True)
    with op.batch_alter_table("missed_questions") as batch:
        batch.add_column(sa.Column("resolved_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("missed_questions") as batch:
        batch.drop_column("resolved_version")
    op.drop_index("ux_content_versions_base", table_name="content_versions")
    with op.batch_alter_table("content_versions") as batch:
        batch.drop_column("base_id")
