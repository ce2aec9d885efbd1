"""A message's first statement on PostgreSQL: settle its inbox row, lock its conversation and
read the person who wrote, in one round trip.

Answering a stored webhook delivery starts with three things that used to be three round
trips: mark the inbox row handled (only once: `settled` is 0 when another worker did),
create-or-lock the conversation row (INSERT ... ON CONFLICT: storage/conversations.py) and
read the writer's identity, person and "has a help request open" (storage/people.py). Here
the first two are data-modifying CTEs of the third. What they return is handed to the
repositories (`ConversationRepository.hold`, `PeopleRepository.hold`), which then run no
statement of their own for it.

One difference from separate statements: the person is read with the statement's snapshot,
taken before the conversation lock was granted. A worker that waited for that lock could
miss what the previous holder committed about this person; that cannot happen here, as one
chat's deliveries are processed one at a time (storage/inbox_claims.py), and a replay of
the same delivery racing it finds it settled and is rolled back.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, column, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.conversations import ENSURE_ROW, ConversationRepository
from storage.inbox_claims import SETTLE_SQL, AlreadyHandled
from storage.models import IdentityRow, PersonRow, UTCDateTime
from storage.people import OPEN_REQUEST, PeopleRepository

__all__ = ["first_read"]


@cache
def _statement(settling: bool) -> Select[Any]:
    """Built once per shape (its compiled form is cached)."""
    conversation = ENSURE_ROW.cte("conversation")
    settled: Any = None
    if settling:
        done = (
            text(SETTLE_SQL)
            .bindparams(bindparam("settled_at", type_=UTCDateTime()))
            .columns(column("id", Integer()))
            .cte("settled")
        )
        settled = select(func.count()).select_from(done).scalar_subquery()
    return (
        select(
            conversation.c.state,
            conversation.c.version,
            (settled if settled is not None else literal_column("1")).label("settled"),
            IdentityRow,
            PersonRow,
            OPEN_REQUEST.label("open_request"),
        )
        .select_from(conversation)
        .outerjoin(
            IdentityRow,
            and_(
                IdentityRow.channel == bindparam("channel"),
                IdentityRow.external_id == bindparam("user_id"),
            ),
        )
        .outerjoin(PersonRow, PersonRow.id == IdentityRow.person_id)
    )


async def first_read(
    session: AsyncSession, channel: str, user_id: str, now: datetime, event_id: int | None
) -> None:
    """Settle inbox row `event_id` (if any), lock the conversation, read its person; the
    repositories of `session` take the results. AlreadyHandled: the row was settled before."""
    parameters: dict[str, Any] = {"channel": channel, "user_id": user_id, "now": now}
    if event_id is not None:
        parameters |= {"event_id": event_id, "settled_at": now}
    row = (await session.execute(_statement(event_id is not None), parameters)).one()
    if not row.settled:
        raise AlreadyHandled
    ConversationRepository.hold(session, channel, user_id, row.state, row.version)
    PeopleRepository.hold(
        session, channel, user_id, (row.IdentityRow, row.PersonRow, bool(row.open_request))
    )
