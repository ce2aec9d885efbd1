"""The conversation-state repository: load and save where a conversation is, in the database.

It never commits: the caller wraps one incoming message in one transaction, and `load` locks the
row (SELECT ... FOR UPDATE on PostgreSQL) so that two workers handling two messages of the same
person take turns instead of overwriting each other's state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Integer, Table, bindparam, column, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRow, UTCDateTime, utcnow

# INSERT ... ON CONFLICT, the same words on PostgreSQL and SQLite, written out: SQLAlchemy
# never caches the compiled form of its dialect `insert()` (its ON CONFLICT clause has no
# cache key), so that form was compiled again for every message, at about a millisecond of
# CPU each. Read as plain rows: no ORM object is built for it.
_ENSURE_SQL = (
    "INSERT INTO conversations (channel, user_id, state, version, updated_at)"
    " VALUES (:channel, :user_id, '{}', 0, :now)"
    " ON CONFLICT (channel, user_id) DO UPDATE SET updated_at = excluded.updated_at"
    " RETURNING state, version"
)
STATE_TYPE = ConversationRow.__table__.c.state.type
ENSURE_ROW = (
    text(_ENSURE_SQL)
    .bindparams(bindparam("now", type_=UTCDateTime()))
    .columns(column("state", STATE_TYPE), column("version", Integer()))
)


@dataclass(slots=True)
class _Locked:
    """A conversation's row as this transaction locked it (and saved it since)."""

    state: dict[str, Any]
    version: int


_TABLE = ConversationRow.__table__
assert isinstance(_TABLE, Table)
# A changed state, written by key: a Core statement built once (the ORM's unit of work cost
# several times the query's own CPU, once per message).
_SAVE = (
    update(_TABLE)
    .where(_TABLE.c.channel == bindparam("key_channel"), _TABLE.c.user_id == bindparam("key_user"))
    .values(
        state=bindparam("new_state", type_=STATE_TYPE),
        version=bindparam("new_version"),
        updated_at=bindparam("saved_at", type_=UTCDateTime()),
    )
)
# The same, as a CTE of a statement the answer runs anyway (PostgreSQL; storage/outbox.py).
SAVE_CTE = (
    "saved AS (UPDATE conversations SET state = CAST(:new_state AS json),"
    " version = :new_version, updated_at = :saved_at"
    " WHERE channel = :key_channel AND user_id = :key_user)"
)
_DEFERRED = "conversation_saves_deferred"
_HELD = "conversations_held"

__all__ = ["ENSURE_ROW", "SAVE_CTE", "ConversationRepository", "Keyed", "StateSave"]


@dataclass(frozen=True, slots=True)
class StateSave:
    """A conversation's new state, to write by key (`ConversationRepository.defer`)."""

    channel: str
    user_id: str
    state: dict[str, Any]
    version: int
    at: datetime

    def parameters(self) -> dict[str, Any]:
        """For `_SAVE`."""
        return {
            "key_channel": self.channel,
            "key_user": self.user_id,
            "new_state": self.state,
            "new_version": self.version,
            "saved_at": self.at,
        }

    def cte_parameters(self) -> dict[str, Any]:
        """For `SAVE_CTE` (the state as JSON text)."""
        return {**self.parameters(), "new_state": json.dumps(self.state)}


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
        self._locked: dict[tuple[str, str], _Locked] = {}

    async def _row(self, key: Keyed) -> ConversationRow | None:
        query = (
            select(ConversationRow)
            .where(ConversationRow.channel == key.channel, ConversationRow.user_id == key.user_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def _ensure_row(self, key: Keyed) -> _Locked:
        """Create the row if missing and lock it for this transaction, in one statement.

        Locking a row that does not exist locks nothing, so two workers could both insert the
        first message's state: an INSERT ... ON CONFLICT DO UPDATE (of nothing) makes the row
        exist and takes its lock at once, and returns it. It stamps the row's time too (the
        retention period counts from the last message), so an answer that leaves the state
        as it was writes nothing more (`save`). Done already when the caller `hold`s it.
        """
        held: _Locked | None = self.session.info.get(_HELD, {}).pop(
            (key.channel, key.user_id), None
        )
        if held is None:
            params = {"channel": key.channel, "user_id": key.user_id, "now": self._clock()}
            found = (await self.session.execute(ENSURE_ROW, params)).one()
            held = _Locked(dict(found.state or {}), int(found.version))
        self._locked[(key.channel, key.user_id)] = held
        return held

    @staticmethod
    def hold(
        session: AsyncSession,
        channel: str,
        user_id: str,
        state: dict[str, Any] | None,
        version: int,
    ) -> None:
        """The row as a statement of the caller's created and locked it (storage/first_read.py):
        the next `load` of it in this session runs no statement."""
        session.info.setdefault(_HELD, {})[(channel, user_id)] = _Locked(
            dict(state or {}), int(version)
        )

    async def load(self, key: Keyed) -> S:
        """The stored state, or a fresh one for a new conversation; locks it until commit."""
        row = await self._ensure_row(key)
        return self._restore(row.state)

    async def save(self, key: Keyed, value: S) -> None:
        """Insert or replace the state of a conversation.

        Written at once, or, when the session's saves are deferred (`defer`), left for the
        caller to write with the statement it runs anyway.
        """
        # load() normally created and locked the row in this transaction already.
        row = self._locked.get((key.channel, key.user_id)) or await self._ensure_row(key)
        state = dict(self._dump(value))
        if state == row.state:  # nothing changed: `_ensure_row` stamped the time already
            return
        save = StateSave(key.channel, key.user_id, state, row.version + 1, self._clock())
        row.state, row.version = state, save.version
        deferred: dict[tuple[str, str], StateSave] | None = self.session.info.get(_DEFERRED)
        if deferred is not None:
            deferred[(key.channel, key.user_id)] = save
        else:
            await self.session.execute(_SAVE, save.parameters())

    @staticmethod
    def defer(session: AsyncSession) -> dict[tuple[str, str], StateSave]:
        """From now on the session's saves are collected in the mapping returned (the last
        save of each conversation), and the caller writes them (`write`, or folded)."""
        deferred: dict[tuple[str, str], StateSave] = {}
        session.info[_DEFERRED] = deferred
        return deferred

    @staticmethod
    async def write(session: AsyncSession, saves: Iterable[StateSave]) -> None:
        """Write deferred saves: one compiled-once statement each."""
        for save in saves:
            await session.execute(_SAVE, save.parameters())

    async def delete(self, key: Keyed) -> None:
        """Forget a conversation (a citizen asked to delete their data)."""
        deferred = self.session.info.get(_DEFERRED)
        if deferred is not None:
            deferred.pop((key.channel, key.user_id), None)
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
