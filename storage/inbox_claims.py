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

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboundEventRow

__all__ = ["Claimed", "InboxClaims"]


@dataclass(frozen=True, slots=True)
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

        Two statements: the rows, locked (skipping rows another claim holds: two workers
        never take one), then their lease. `stalled`: a row received before it and never
        taken is a dead worker's too, so taking it counts as a replay. `replays_only`: only
        such rows and rows whose lease ran out (the worker's round: a row just received is
        its receiving worker's to take).
        """
        row = InboundEventRow
        older = aliased(InboundEventRow)
        if replays_only:
            free = or_(
                row.lease_until < now, and_(row.lease_until.is_(None), row.received_at < stalled)
            )
        else:
            free = or_(row.lease_until.is_(None), row.lease_until < now)
        earlier = (
            select(older.id)
            .where(
                older.channel == row.channel,
                older.chat == row.chat,
                older.handled_at.is_(None),
                older.id < row.id,
                # A failed row waiting for its retry lets the chat go on; one whose retry is
                # due (and that will be retried) is taken first.
                or_(
                    older.failed.is_(False),
                    and_(
                        or_(older.lease_until.is_(None), older.lease_until < now),
                        older.attempts < max_attempts,
                    ),
                ),
            )
            .exists()
        )
        query = (
            select(row.id, row.payload, row.attempts, row.lease_until, row.received_at)
            .where(
                row.channel == channel,
                row.handled_at.is_(None),
                row.attempts < max_attempts,
                free,
                ~earlier,
            )
            .order_by(row.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=row)
        )
        found = (await self.session.execute(query)).all()
        if not found:
            return []
        taken = [
            Claimed(
                id_,
                payload,
                attempts + 1 if lease is not None or received < stalled else attempts,
                lease is not None or received < stalled,
            )
            for id_, payload, attempts, lease, received in found
        ]
        replays = [one.id for one in taken if one.replay]
        values: dict[str, Any] = {"lease_until": until, "failed": False}
        if replays:
            values["attempts"] = case((row.id.in_(replays), row.attempts + 1), else_=row.attempts)
            values["last_attempt_at"] = case((row.id.in_(replays), now), else_=row.last_attempt_at)
        await self.session.execute(
            update(row)
            .where(row.id.in_([one.id for one in taken]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return taken

    async def renew(self, event_ids: Sequence[int], until: datetime) -> None:
        """Keep rows held while their processing still runs (or waits for a free slot)."""
        await self.session.execute(
            update(InboundEventRow)
            .where(
                InboundEventRow.id.in_(event_ids),
                InboundEventRow.handled_at.is_(None),
                InboundEventRow.failed.is_(False),
            )
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )

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
        await self.session.execute(
            update(InboundEventRow)
            .where(
                InboundEventRow.id.in_(event_ids),
                InboundEventRow.handled_at.is_(None),
                InboundEventRow.failed.is_(False),
            )
            .values(lease_until=None)
            .execution_options(synchronize_session=False)
        )

    async def settle(self, event_id: int, now: datetime) -> bool:
        """Mark a taken row handled, in the transaction that applies its effects; nothing
        personal stays. False when it was settled already (another worker answered it,
        `/xoadulieu` forgot it, the give-up round gave it up): then change nothing."""
        result = await self.session.execute(
            update(InboundEventRow)
            .where(InboundEventRow.id == event_id, InboundEventRow.handled_at.is_(None))
            .values(handled_at=now, payload=None, chat=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) > 0
