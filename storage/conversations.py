"""The conversation-state repository: load and save where a conversation is, in the database.

It never commits: the caller wraps one incoming message in one transaction, and `load` locks the
row (SELECT ... FOR UPDATE on PostgreSQL) so that two workers handling two messages of the same
person take turns instead of overwriting each other's state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRow, UTCDateTime, utcnow

# INSERT ... ON CONFLICT, the same words on PostgreSQL and SQLite, written out: SQLAlchemy
# never caches the compiled form of its dialect `insert()` (its ON CONFLICT clause has no
# cache key), so that form was compiled again for every message, at about a millisecond of
# CPU each.
_ENSURE_ROW = select(ConversationRow).from_statement(
    text(
        "INSERT INTO conversations (channel, user_id, state, version, updated_at)"
        " VALUES (:channel, :user_id, '{}', 0, :now)"
        " ON CONFLICT (channel, user_id) DO UPDATE SET updated_at = excluded.updated_at"
        " RETURNING channel, user_id, state, version, updated_at"
    )
    .bindparams(bindparam("now", type_=UTCDateTime()))
    .columns(*ConversationRow.__table__.columns)
)

__all__ = ["ConversationRepository", "Keyed"]


class Keyed(Protocol):
    """Anything with a channel and a user id (the bot's ConversationKey)."""

    @property
    def channel(self) -> str: ...

    @property
    def user_id(self) -> str: ...


S = TypeVar("S")


class ConversationRepository(Generic[S]):
    """Stores one state object per (channel, user id) as JSON.

    `dump` and `load_state` convert between the state object and plain JSON, so this module
    does not depend on the bot's types.
    """

    def __init__(
        self,
        session: AsyncSession,
        dump: Callable[[S], Mapping[str, Any]],
        restore: Callable[[Mapping[str, Any]], S],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`clock` stamps `updated_at` (the retention period counts from it): the bot's clock,
        so a test or a replay with a fixed clock ages conversations as it ages everything."""
        self.session = session
        self._clock = clock
        self._dump = dump
        self._restore = restore
        self._locked: dict[tuple[str, str], ConversationRow] = {}

    async def _row(self, key: Keyed) -> ConversationRow | None:
        query = (
            select(ConversationRow)
            .where(ConversationRow.channel == key.channel, ConversationRow.user_id == key.user_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def _ensure_row(self, key: Keyed) -> ConversationRow:
        """Create the row if missing and lock it for this transaction, in one statement.

        Locking a row that does not exist locks nothing, so two workers could both insert the
        first message's state: an INSERT ... ON CONFLICT DO UPDATE (of nothing) makes the row
        exist and takes its lock at once, and returns it. It stamps the row's time too (the
        retention period counts from the last message), so an answer that leaves the state
        as it was writes nothing more (`save`).
        """
        params = {"channel": key.channel, "user_id": key.user_id, "now": self._clock()}
        row: ConversationRow = (
            await self.session.scalars(
                _ENSURE_ROW, params, execution_options={"populate_existing": True}
            )
        ).one()
        self._locked[(key.channel, key.user_id)] = row
        return row

    async def load(self, key: Keyed) -> S:
        """The stored state, or a fresh one for a new conversation; locks it until commit."""
        row = await self._ensure_row(key)
        return self._restore(row.state)

    async def save(self, key: Keyed, value: S) -> None:
        """Insert or replace the state of a conversation."""
        # load() normally created and locked the row in this transaction already.
        row = self._locked.get((key.channel, key.user_id)) or await self._ensure_row(key)
        state = dict(self._dump(value))
        if state == row.state:  # nothing changed: `_ensure_row` stamped the time already
            return
        row.state = state
        row.version += 1
        row.updated_at = self._clock()
        await self.session.flush()

    async def delete(self, key: Keyed) -> None:
        """Forget a conversation (a citizen asked to delete their data)."""
        row = await self._row(key)
        self._locked.pop((key.channel, key.user_id), None)
        if row is not None:
            await self.session.delete(row)
            await self.session.flush()


async def forget_idle_before(session: AsyncSession, before: datetime) -> int:
    """Delete conversations untouched since `before` (the retention period); how many."""
    result = await session.execute(
        delete(ConversationRow).where(ConversationRow.updated_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
