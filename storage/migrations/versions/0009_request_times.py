"""Reports read first-event times from the request, not from all its events.

A report's waiting and handling times come from each request's first `created`, `claimed` and
end (`ended` or `idle_closed`) event. Grouping every event of a year for that took seconds
(about 6 million events for 1.2 million requests), so the three times are now kept on
`help_requests` (storage.request_times keeps them as events are inserted) and filled here for
the events already stored. Who claimed what is read through a partial index of claim events;
reports of a team, commune or province get an index of their own, by time (`/baocao` reads a
team's month), replacing the one-column commune and province indexes.

The fill groups all events once: for 1.2 million requests with 5.6 million events, about a
minute on PostgreSQL and 20 s on SQLite (bench/bench_report.py --year data).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FIRST_TIMES = {
    "first_created_at": "'created'",
    "first_claimed_at": "'claimed'",
    "first_ended_at": "'ended', 'idle_closed'",
}

SCOPES = {
    "ix_help_requests_team_created": "team_id",
    "ix_help_requests_commune_created": "commune_code",
    "ix_help_requests_province_created": "province_code",
}


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        for column in FIRST_TIMES:
            batch.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    firsts = ", ".join(
        f"MIN(CASE WHEN kind IN ({kinds}) THEN at END) AS {column}"
        for column, kinds in FIRST_TIMES.items()
    )
    assignments = ", ".join(f"{column} = firsts.{column}" for column in FIRST_TIMES)
    kinds = ", ".join(FIRST_TIMES.values())
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33 (2020).
    op.execute(
        f"UPDATE help_requests SET {assignments} "
        f"FROM (SELECT request_id, {firsts} FROM request_events WHERE kind IN ({kinds}) "
        "GROUP BY request_id) AS firsts "
        "WHERE firsts.request_id = help_requests.id"
    )
    # One index per report scope, by time; the composites replace the one-column indexes.
    for name, column in SCOPES.items():
        op.create_index(name, "help_requests", [column, "created_at"])
    op.drop_index("ix_help_requests_commune_code", table_name="help_requests")
    op.drop_index("ix_help_requests_province_code", table_name="help_requests")
    op.create_index(
        "ix_request_events_claims",
        "request_events",
        ["request_id", "actor_id"],
        postgresql_where=sa.text("kind = 'claimed'"),
        sqlite_where=sa.text("kind = 'claimed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_request_events_claims", table_name="request_events")
    op.create_index("ix_help_requests_province_code", "help_requests", ["province_code"])
    op.create_index("ix_help_requests_commune_code", "help_requests", ["commune_code"])
    for name in SCOPES:
        op.drop_index(name, table_name="help_requests")
    with op.batch_alter_table("help_requests") as batch:
        for column in reversed(FIRST_TIMES):
            batch.drop_column(column)
