"""The first `created`, `claimed` and end event of each request, kept on the request itself.

Reports measure waiting and handling times from these events. Grouping every event of a year
(five or so per request) costs seconds; reading three timestamps from each request does not.
So whenever a `request_events` row is inserted through the ORM (`HelpRequestRepository.event`,
the demo data, tests), the same flush moves the request's matching `first_*_at` column to the
event's time if it is empty or later. The UPDATE is conditional, so the order in which events
are inserted does not matter and the column always holds the earliest time, as a MIN over the
events would. Rows written around the ORM (Core or bulk inserts, SQL scripts) must set the
columns themselves; migration 0009 filled them for the events that existed before.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, event, or_, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, object_session
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import HelpRequestRow, RequestEventRow

__all__ = ["END_KINDS", "FIRST_TIME_COLUMNS"]

END_KINDS = ("ended", "idle_closed")
# Event kind -> the column of help_requests holding the first such event's time.
FIRST_TIME_COLUMNS = {
    "created": "first_created_at",
    "claimed": "first_claimed_at",
    **dict.fromkeys(END_KINDS, "first_ended_at"),
}


@event.listens_for(RequestEventRow, "after_insert")
def _keep_first_time(
    _mapper: Mapper[RequestEventRow], connection: Connection, row: RequestEventRow
) -> None:
    name = FIRST_TIME_COLUMNS.get(row.kind)
    if name is None:
        return
    table = cast(Table, HelpRequestRow.__table__)
    column = table.c[name]
    result = connection.execute(
        update(table)
        .where(table.c.id == row.request_id, or_(column.is_(None), column > row.at))
        .values({name: row.at})
    )
    # The request may be loaded in this session: show it the value just written, without
    # marking it changed (a later flush of the request must not write it back).
    session = object_session(row)
    if getattr(result, "rowcount", 0) and session is not None:
        request = session.identity_map.get(session.identity_key(HelpRequestRow, row.request_id))
        if isinstance(request, HelpRequestRow):
            set_committed_value(request, name, row.at)
