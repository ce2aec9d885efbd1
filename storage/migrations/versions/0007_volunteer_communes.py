"""Least privilege for served communes: a plain volunteer keeps only their team's commune.

Before, `/xa` let a volunteer add any commune and then read and claim its requests. Communes a
volunteer added outside their team are removed; leaders and operators keep theirs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        DELETE FROM volunteer_communes
        WHERE person_id IN (SELECT id FROM people WHERE role = 'volunteer')
          AND NOT EXISTS (
            SELECT 1 FROM people p JOIN teams t ON t.id = p.team_id
            WHERE p.id = volunteer_communes.person_id
              AND t.commune_code = volunteer_communes.commune_code
          )
        """
    )


def downgrade() -> None:
    """Removed rights are not given back."""
