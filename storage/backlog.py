"""What is waiting, counted from the database: outgoing messages, deliveries, help requests.

Read at each metrics scrape, so every worker reports the same figures. Three aggregate
queries over indexed status columns: cheap however large the tables grow. Only counts and
ages come out, never a chat id or a text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HelpRequestRow, InboundEventRow, OutboxRow

__all__ = ["Backlog", "Waiting", "read_backlog"]


@dataclass(frozen=True)
class Waiting:
    """How many items wait, and since when the oldest does (None when nothing waits)."""

    count: int = 0
    oldest: datetime | None = None

    def age(self, now: datetime) -> float:
        """Seconds the oldest item has waited (0 when nothing waits)."""
        if self.oldest is None:
            return 0.0
        return max(0.0, (now - self.oldest).total_seconds())


@dataclass(frozen=True)
class Backlog:
    """Per channel: pending outbox rows and unhandled deliveries; unclaimed help requests."""

    outbox: dict[str, Waiting] = field(default_factory=dict)
    inbox: dict[str, Waiting] = field(default_factory=dict)
    help_requests: Waiting = Waiting()


async def read_backlog(session: AsyncSession) -> Backlog:
    """Counts and oldest times of everything waiting; one read, no locks."""
    outbox = await session.execute(
        select(OutboxRow.channel, func.count(), func.min(OutboxRow.created_at))
        .where(OutboxRow.status == "pending")
        .group_by(OutboxRow.channel)
    )
    inbox = await session.execute(
        select(InboundEventRow.channel, func.count(), func.min(InboundEventRow.received_at))
        .where(InboundEventRow.handled_at.is_(None))
        .group_by(InboundEventRow.channel)
    )
    # "open" is a request nobody has claimed yet (storage/models.py, HelpRequestRow).
    waiting = (
        await session.execute(
            select(func.count(), func.min(HelpRequestRow.created_at)).where(
                HelpRequestRow.status == "open"
            )
        )
    ).one()
    return Backlog(
        outbox={channel: Waiting(count, oldest) for channel, count, oldest in outbox},
        inbox={channel: Waiting(count, oldest) for channel, count, oldest in inbox},
        help_requests=Waiting(int(waiting[0]), waiting[1]),
    )
