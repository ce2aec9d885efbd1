"""Stored outgoing messages: notifications to people other than the current sender.

A row is written in the same transaction as the state change that causes it, so a crash never
loses a notification nor sends one for a change that was rolled back. Channel adapters deliver
pending rows and record the platform's message id for later edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    LargeBinary,
    String,
    Table,
    TextClause,
    and_,
    bindparam,
    delete,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.choices import MENU_CTE, ChoiceMenuRepository, menu_parameters
from storage.conversations import SAVE_CTE, ConversationRepository, StateSave
from storage.models import OutboxRow, UTCDateTime
from storage.questions import LOG_ROWS_CTE, QuestionLogRepository, log_rows_json

__all__ = ["NewReply", "OutboxRepository"]


_ADDED = "outbox_rows_added"

# An answer's reply, queued and (when nothing of the chat waits before it) leased for sending
# in one statement, the same on PostgreSQL and SQLite. Written out as text: compiled once.
# `lease_until` is :until unless the chat has a pending row nobody holds (a retry waiting,
# a notice not yet taken): then the reply waits its turn and `lease` takes them in order.
_ADD_REPLY_SQL = (
    "INSERT INTO outbox (channel, external_id, text, buttons, edit_of, status, attempts,"
    " created_at, lease_until, attachment_name, attachment_type, attachment_data, menu_from)"
    " VALUES (:channel, :external_id, :text, :buttons, :edit_of, 'pending', 0, :now,"
    " CASE WHEN EXISTS (SELECT 1 FROM outbox AS earlier WHERE earlier.channel = :channel"
    " AND earlier.external_id = :external_id AND earlier.status = 'pending'"
    " AND (earlier.lease_until IS NULL OR earlier.lease_until < :now)) THEN NULL"
    " ELSE :until END,"
    " :attachment_name, :attachment_type, :attachment_data, :menu_from)"
    " RETURNING id, lease_until"
)
_REPLY_TYPES = (
    bindparam("channel", type_=String()),
    bindparam("external_id", type_=String()),
    bindparam("buttons", type_=JSON()),
    bindparam("now", type_=UTCDateTime()),
    bindparam("until", type_=UTCDateTime()),
    bindparam("attachment_data", type_=LargeBinary()),
)


@cache
def _add_reply(log: bool = False, menu: bool = False, saved: bool = False) -> TextClause:
    """`_ADD_REPLY_SQL`, on PostgreSQL with the answer's question-log rows (`LOG_ROWS_CTE`),
    numbered menu (`MENU_CTE`) and conversation state (`SAVE_CTE`) riding on it. One object
    per shape: compiled once."""
    ctes = ([LOG_ROWS_CTE] if log else []) + ([MENU_CTE] if menu else [])
    ctes += [SAVE_CTE] if saved else []
    types = list(_REPLY_TYPES)
    types += [bindparam("log", type_=String())] if log else []
    types += [bindparam("menu", type_=String())] if menu else []
    if saved:
        types += [bindparam("new_state", type_=String())]
        types += [bindparam("saved_at", type_=UTCDateTime())]
    sql = f"WITH {', '.join(ctes)} {_ADD_REPLY_SQL}" if ctes else _ADD_REPLY_SQL
    return text(sql).bindparams(*types)


_TABLE = OutboxRow.__table__
assert isinstance(_TABLE, Table)
# Rows sent, several at once (`settle_sent_many`); built once, as its cache key is kept.
_SETTLE_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.status == "pending")
    .values(
        status="sent",
        sent_at=bindparam("now"),
        attempts=_TABLE.c.attempts + 1,
        platform_message_id=bindparam("platform_id"),
        lease_until=None,
        attachment_data=None,
    )
)


@dataclass(frozen=True, slots=True)
class NewReply:
    """An answer's reply to queue for the person who wrote (`OutboxRepository.add_replies`)."""

    text: str
    buttons: Sequence[tuple[str, str]] = ()
    edit_of: int | None = None
    attachment: tuple[str, str, bytes] | None = None
    menu_from: int | None = None


class OutboxRepository:
    """Queue, fetch and settle outgoing messages; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        channel: str,
        external_id: str,
        text: str,
        buttons: Sequence[tuple[str, str]] = (),
        *,
        now: datetime,
        tag: str | None = None,
        edit_of: int | None = None,
        sender_id: int | None = None,
        attachment: tuple[str, str, bytes] | None = None,
    ) -> OutboxRow:
        name, media_type, data = attachment if attachment is not None else (None, None, None)
        row = OutboxRow(
            channel=channel,
            external_id=external_id,
            text=text,
            buttons=[{"title": title, "payload": payload} for title, payload in buttons],
            tag=tag,
            edit_of=edit_of,
            sender_id=sender_id,
            status="pending",
            attempts=0,
            created_at=now,
            attachment_name=name,
            attachment_type=media_type,
            attachment_data=data,
        )
        self.session.add(row)
        await self.session.flush()
        # How many rows this session queued (`added`): whoever answers a message learns
        # whether it queued anything beyond its own replies (a volunteer's notice).
        self.session.info[_ADDED] = self.session.info.get(_ADDED, 0) + 1
        return row

    async def add_replies(
        self,
        channel: str,
        external_id: str,
        replies: Sequence[NewReply],
        *,
        now: datetime,
        lease: timedelta | None,
        log: Sequence[Mapping[str, Any]] = (),
        menu: Sequence[str] | None = None,
        saved: Sequence[StateSave] = (),
    ) -> list[OutboxRow]:
        """Queue an answer's replies and, with `lease`, take them for sending at once; write
        the answer's deferred question-log rows (`QuestionLogRepository.defer`), conversation
        state (`ConversationRepository.defer`) and, where choices are typed numbers, the
        `menu` its replies show (storage/choices.py).

        One statement a reply (`_add_reply`); on PostgreSQL the log, the state (one
        conversation's) and the menu ride on the first.
        A reply the chat's earlier pending rows must go before is left unleased, and the
        chat's rows are then leased in order (`lease`). Returns the rows leased for this
        caller to send, oldest first (none without `lease`); they are not in the session
        (the dispatcher only reads them).
        """
        until = now + lease if lease is not None else None
        held: list[OutboxRow] = []
        waiting = False
        folded = bool(replies) and self._postgres()
        if log and not folded:
            await QuestionLogRepository(self.session).write(log)
        if menu is not None and not folded:
            await ChoiceMenuRepository(self.session).remember(channel, external_id, menu, now)
        riding = folded and len(saved) == 1
        if not riding:
            await ConversationRepository.write(self.session, saved)
        for number, reply in enumerate(replies):
            name, media_type, data = reply.attachment or (None, None, None)
            values = {
                "channel": channel,
                "external_id": external_id,
                "text": reply.text,
                "buttons": [{"title": t, "payload": p} for t, p in reply.buttons],
                "edit_of": reply.edit_of,
                "attachment_name": name,
                "attachment_type": media_type,
                "attachment_data": data,
                "menu_from": reply.menu_from,
            }
            parameters = {**values, "now": now, "until": until}
            statement = _add_reply()
            if folded and number == 0:
                statement = _add_reply(bool(log), menu is not None, riding)
                if log:
                    parameters["log"] = log_rows_json(log)
                if riding:
                    parameters.update(saved[0].cte_parameters())
                if menu is not None:
                    parameters.update(menu_parameters(external_id, menu))
            found = (await self.session.execute(statement, parameters)).one()
            if found.lease_until is None:
                waiting = True
                continue
            held.append(
                OutboxRow(
                    id=found.id,
                    status="pending",
                    attempts=0,
                    created_at=now,
                    lease_until=found.lease_until,
                    **values,
                )
            )
        if lease is None or not waiting:
            return held
        taken = await self.lease(channel, now, lease, external_id=external_id)
        return sorted([*held, *taken], key=lambda row: row.id)

    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    @staticmethod
    def added(session: AsyncSession) -> int:
        """Rows queued through `add` in this session so far."""
        return int(session.info.get(_ADDED, 0))

    async def tagged(self, tag: str) -> list[OutboxRow]:
        """Earlier messages with this tag (e.g. every claim notice of one request)."""
        query = select(OutboxRow).where(OutboxRow.tag == tag, OutboxRow.edit_of.is_(None))
        return list((await self.session.execute(query.order_by(OutboxRow.id))).scalars())

    async def pending(
        self, channel: str, external_id: str | None = None, limit: int = 50
    ) -> list[OutboxRow]:
        """Rows waiting to be sent on a channel, oldest first, locked against other workers."""
        query = select(OutboxRow).where(
            OutboxRow.channel == channel, OutboxRow.status == "pending"
        )
        if external_id is not None:
            query = query.where(OutboxRow.external_id == external_id)
        query = query.order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)
        return list((await self.session.execute(query)).scalars())

    async def lease(
        self,
        channel: str,
        now: datetime,
        lease: timedelta,
        limit: int = 50,
        *,
        external_id: str | None = None,
    ) -> list[OutboxRow]:
        """Take pending rows for delivery outside this transaction, oldest first.

        A network send must not hold a database transaction open, so the rows are leased:
        marked as taken until `now + lease`. A worker that dies mid-send leaves the lease to
        expire and another worker sends the row again (at least once, never lost). One
        statement: an UPDATE of the rows a locked sub-select chose, returning them.
        """
        chosen = (
            select(OutboxRow.id)
            .where(
                OutboxRow.channel == channel,
                OutboxRow.status == "pending",
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
            )
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if external_id is not None:
            chosen = chosen.where(OutboxRow.external_id == external_id)
        taken = (
            update(OutboxRow)
            .where(OutboxRow.id.in_(chosen.scalar_subquery()))
            .values(lease_until=now + lease)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False)
        )
        rows = list((await self.session.scalars(taken)).all())
        return sorted(rows, key=lambda row: row.id)

    async def renew(self, row_ids: Sequence[int], until: datetime) -> None:
        """Keep rows reserved while their sends are still running."""
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(row_ids), OutboxRow.status == "pending")
            .values(lease_until=until)
        )

    async def get(self, row_id: int) -> OutboxRow | None:
        return await self.session.get(OutboxRow, row_id)

    async def mark_sent(
        self, row: OutboxRow, now: datetime, platform_message_id: str | None = None
    ) -> None:
        row.status = "sent"
        row.sent_at = now
        row.attempts += 1
        row.platform_message_id = platform_message_id
        row.lease_until = None
        row.attachment_data = None  # a report is not kept once it reached its reader
        await self.session.flush()

    async def settle_sent(
        self, row_id: int, now: datetime, platform_message_id: str | None = None
    ) -> None:
        """`mark_sent` by id, in one statement (the row is not loaded first)."""
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.status == "pending")
            .values(
                status="sent",
                sent_at=now,
                attempts=OutboxRow.attempts + 1,
                platform_message_id=platform_message_id,
                lease_until=None,
                attachment_data=None,
            )
            .execution_options(synchronize_session=False)
        )

    async def settle_sent_many(
        self, sent: Sequence[tuple[int, str | None]], now: datetime
    ) -> None:
        """`settle_sent` for several rows (row id, platform message id): one statement."""
        if not sent:
            return
        connection = await self.session.connection()
        await connection.execute(
            _SETTLE_SENT,
            [{"row_id": row_id, "platform_id": platform, "now": now} for row_id, platform in sent],
        )

    async def mark_failed(self, row: OutboxRow, error: str, *, final: bool) -> None:
        """A failed send: retried later unless `final` (blocked user, outside the window)."""
        row.attempts += 1
        row.error = error[:200]
        row.status = "undeliverable" if final else "pending"
        row.lease_until = None
        if final:
            row.attachment_data = None
        await self.session.flush()

    async def forget_person(self, chats: Iterable[tuple[str, str]], person_id: int) -> int:
        """`/xoadulieu`: every message to these chats, and every relay of this person's words.

        The bot's own reply confirming the deletion is queued after this, in the same turn.
        """
        conditions = [
            and_(OutboxRow.channel == channel, OutboxRow.external_id == chat)
            for channel, chat in chats
        ]
        conditions.append(OutboxRow.sender_id == person_id)
        result = await self.session.execute(delete(OutboxRow).where(or_(*conditions)))
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_settled_before(self, before: datetime) -> int:
        """Retention: drop rows sent or given up before `before` (pending rows always stay)."""
        result = await self.session.execute(
            delete(OutboxRow).where(OutboxRow.status != "pending", OutboxRow.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def postpone(self, row: OutboxRow, until: datetime) -> None:
        """Leave a row pending but untouched until `until` (the platform asked to wait)."""
        row.lease_until = until
        await self.session.flush()
