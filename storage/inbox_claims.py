"""Stored webhook deliveries taken for processing under a lease, by any worker, each chat in order.

A worker claims rows (`claim`): open, not held by a live lease, and the oldest open row of
their chat, so one chat's messages are answered in order whichever worker received them, and
never two at once. The claim marks them held until `until`; the processing worker renews that
while it runs (`renew`), so only a dead worker's rows run out and are replayed. A failed
processing is retried after a wait (`postpone`); meanwhile the chat's later messages go ahead
(a failed message does not silence a person for minutes).

A replay (a row whose lease ran out, or one nobody took for `stalled` time: its worker died
before it could) counts as an attempt; after `max_attempts` the give-up round settles it
(`InboxRepository.exhausted`). Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Update, and_, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEventRow

__all__ = ["SETTLE_SQL", "AlreadyHandled", "Claimed", "InboxClaims"]

# Built once: a statement's construction and cache key cost more CPU than running it, and a
# module-level statement keeps its cache key (`settle` runs once per message).
_SETTLE = (
    update(InboundEventRow)
    .where(InboundEventRow.id == bindparam("event_id"), InboundEventRow.handled_at.is_(None))
    .values(handled_at=bindparam("now"), payload=None, chat=None, lease_until=None)
    .execution_options(synchronize_session=False)
)

# The same as a CTE on PostgreSQL (storage/first_read.py), payload and chat as SQL NULL.
SETTLE_SQL = (
    "UPDATE inbound_events SET handled_at = :settled_at, payload = NULL, chat = NULL,"
    " lease_until = NULL WHERE id = :event_id AND handled_at IS NULL RETURNING id"
)


class AlreadyHandled(Exception):
    """The delivery was settled already (another worker answered it): roll back the answer."""


@dataclass(frozen=True, slots=True, order=True)
class Claimed:
    """A row taken: its id, what to process, and whether this is a replay (an attempt)."""

    id: int
    payload: dict[str, Any] | None
    attempts: int
    replay: bool


class InboxClaims:
    """Claim, renew, postpone, release and settle inbox rows; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(
        self,
        channel: str,
        now: datetime,
        until: datetime,
        limit: int,
        *,
        max_attempts: int,
        stalled: datetime,
        replays_only: bool = False,
    ) -> list[Claimed]:
        """Take up to `limit` claimable rows of `channel`, oldest first, held until `until`.

        Two statements, each planned the same way whatever the planner knows (a burst fills
        a table that has no statistics yet; a correlated "no earlier open row of this chat"
        test was planned as a nested loop there and took 0.4 s a claim):

        1. one pass over the channel's open rows (the partial index): each chat's first row
           that holds up the ones after it, kept when it is free (more than `limit`);
        2. the lease of the first `limit` of them that no other claim has locked (skipped,
           never waited for: two workers never take one row and never deadlock), re-checked.

        `stalled`: a row received before it and never taken is a dead worker's too, so
        taking it counts as a replay. `replays_only`: only such rows and rows whose lease ran
        out (the worker's round: a row just received is its receiving worker's to take).
        """
        row = InboundEventRow

        def free(table: Any) -> Any:
            if replays_only:
                return or_(
                    table.lease_until < now,
                    and_(table.lease_until.is_(None), table.received_at < stalled),
                )
            return or_(table.lease_until.is_(None), table.lease_until < now)

        # A row holds up its chat's later ones unless it is a failed row waiting for its
        # retry (a failed message does not silence a person for minutes); a failed row whose
        # retry is due (and that will be retried) is taken first.
        holding = or_(
            row.failed.is_(False),
            and_(
                or_(row.lease_until.is_(None), row.lease_until < now), row.attempts < max_attempts
            ),
        )
        ranked = (
            select(
                row.id,
                row.attempts,
                row.lease_until,
                row.received_at,
                func.row_number().over(partition_by=row.chat, order_by=row.id).label("place"),
            )
            .where(row.channel == channel, row.handled_at.is_(None), holding)
            .subquery()
        )
        heads = (
            await self.session.execute(
                select(ranked.c.id, ranked.c.attempts)
                .where(ranked.c.place == 1, ranked.c.attempts < max_attempts, free(ranked.c))
                .order_by(ranked.c.id)
                # More than wanted: another worker's claim may lock some of them first.
                .limit(limit * 3)
            )
        ).all()
        if not heads:
            return []
        seen: dict[int, int] = {int(one.id): int(one.attempts) for one in heads}  # when read
        replay = or_(row.lease_until.is_not(None), row.received_at < stalled)
        unlocked = (
            select(row.id)
            .where(
                row.id.in_(list(seen)),
                row.handled_at.is_(None),
                row.attempts < max_attempts,
                free(row),
            )
            .order_by(row.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        found = (
            await self.session.execute(
                update(row)
                .where(row.id.in_(unlocked.scalar_subquery()))
                .values(
                    lease_until=until,
                    failed=False,
                    attempts=case((replay, row.attempts + 1), else_=row.attempts),
                    last_attempt_at=case((replay, now), else_=row.last_attempt_at),
                )
                .returning(row.id, row.payload, row.attempts)
                .execution_options(synchronize_session=False)
            )
        ).all()
        return sorted(
            Claimed(id_, payload, attempts, attempts > seen.get(id_, attempts))
            for id_, payload, attempts in found
        )

    async def renew(self, event_ids: Sequence[int], until: datetime) -> None:
        """Keep rows held while their processing still runs (or waits for a free slot)."""
        await self.session.execute(_held(event_ids).values(lease_until=until))

    async def postpone(self, event_id: int, until: datetime) -> None:
        """A failed processing: retried (as a replay) once `until` has passed."""
        await self.session.execute(
            update(InboundEventRow)
            .where(InboundEventRow.id == event_id, InboundEventRow.handled_at.is_(None))
            .values(lease_until=until, failed=True)
            .execution_options(synchronize_session=False)
        )

    async def release(self, event_ids: Sequence[int]) -> None:
        """Give rows back untried (a worker stopping): any worker takes them at once."""
        await self.session.execute(_held(event_ids).values(lease_until=None))

    async def settle(self, event_id: int, now: datetime) -> bool:
        """Mark a taken row handled, in the transaction that applies its effects; nothing
        personal stays. False when it was settled already (another worker answered it,
        `/xoadulieu` forgot it, the give-up round gave it up): then change nothing."""
        result = await self.session.execute(_SETTLE, {"event_id": event_id, "now": now})
        return int(getattr(result, "rowcount", 0) or 0) > 0


def _held(event_ids: Sequence[int]) -> Update:
    """An update of the rows taken (not yet handled, not waiting for a retry) among these."""
    return (
        update(InboundEventRow)
        .where(
            InboundEventRow.id.in_(event_ids),
            InboundEventRow.handled_at.is_(None),
            InboundEventRow.failed.is_(False),
        )
        .execution_options(synchronize_session=False)
    )
