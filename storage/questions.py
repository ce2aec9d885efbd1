"""The question log and the missed questions: written by the core, read by the console.

`log` is one INSERT inside the transaction that answers the message (nothing is flushed
here, so it rides on the commit the answer makes anyway). See storage/console_models.py for
why the log cannot be traced back to a person and why missed questions can (so /xoadulieu
deletes them).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.console_models import MissedQuestionRow, QuestionLogRow

__all__ = [
    "FEEDBACK_ACTIONS",
    "QUESTION_ACTIONS",
    "QuestionCount",
    "QuestionLogRepository",
    "hour_of",
]

QUESTION_ACTIONS = ("answer", "clarify", "fallback")
FEEDBACK_ACTIONS = ("helpful", "unhelpful", "none")
MAX_TEXT = 500
OPEN_LIMIT = 2000  # missed questions grouped at most (newest first): bounds the page's work
_DEFERRED = "question_log_deferred"
_LOG_TABLE = QuestionLogRow.__table__
assert isinstance(_LOG_TABLE, Table)
_INSERT_LOG = insert(_LOG_TABLE)
# The deferred rows as a CTE on PostgreSQL, for a statement the answer runs anyway
# (storage/outbox.py): one row of JSON per log row.
LOG_ROWS_CTE = (
    "logged AS (INSERT INTO question_log"
    " (at, channel, action, intent, province_code, commune_code)"
    " SELECT r.at, r.channel, r.action, r.intent, r.province_code, r.commune_code"
    " FROM json_to_recordset(CAST(:log AS json)) AS r(at timestamptz, channel varchar,"
    " action varchar, intent varchar, province_code varchar, commune_code varchar))"
)


def log_rows_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """Deferred log rows as the JSON `LOG_ROWS_CTE` reads."""
    return json.dumps([{**row, "at": row["at"].isoformat()} for row in rows])


def hour_of(at: datetime) -> datetime:
    """The time cut to the hour: enough for a chart by day, too coarse to single anyone out."""
    return at.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class QuestionCount:
    """How many rows of one action fell in one hour."""

    hour: datetime
    action: str
    count: int


class QuestionLogRepository:
    """Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def log(
        self,
        at: datetime,
        channel: str,
        action: str,
        intent: str | None,
        province_code: str | None = None,
        commune_code: str | None = None,
    ) -> None:
        """Queue one anonymous row; it is written with the answer's commit, or by whoever
        deferred the session's rows (`defer`)."""
        row = {
            "at": hour_of(at),
            "channel": channel[:16],
            "action": action,
            "intent": intent[:120] if intent else None,
            "province_code": province_code,
            "commune_code": commune_code,
        }
        deferred = self.session.info.get(_DEFERRED)
        if deferred is not None:
            deferred.append(row)
        else:
            self.session.add(QuestionLogRow(**row))

    @staticmethod
    def defer(session: AsyncSession) -> list[dict[str, Any]]:
        """From now on the session's log rows are collected in the list returned, and the
        caller writes them (`write`, or folded into a statement it runs anyway)."""
        rows: list[dict[str, Any]] = []
        session.info[_DEFERRED] = rows
        return rows

    async def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write deferred rows: one statement, compiled once."""
        if rows:
            await self.session.execute(_INSERT_LOG, list(rows))

    def missed(
        self,
        at: datetime,
        person_id: int | None,
        channel: str,
        reason: str,
        masked_text: str,
        intent: str | None = None,
        province_code: str | None = None,
        commune_code: str | None = None,
    ) -> None:
        """Queue a missed question; `masked_text` must already be masked (storage.masking)."""
        self.session.add(
            MissedQuestionRow(
                at=at,
                person_id=person_id,
                channel=channel[:16],
                reason=reason,
                intent=intent[:120] if intent else None,
                text=masked_text[:MAX_TEXT],
                status="open",
                province_code=province_code,
                commune_code=commune_code,
            )
        )

    async def counts(
        self,
        since: datetime,
        until: datetime,
        provinces: Collection[str] | None = None,
        communes: Collection[str] | None = None,
    ) -> list[QuestionCount]:
        """Rows per hour and action in [since, until), optionally for some places only."""
        conditions: list[ColumnElement[bool]] = [
            QuestionLogRow.at >= since,
            QuestionLogRow.at < until,
        ]
        if provinces is not None:
            conditions.append(QuestionLogRow.province_code.in_(list(provinces)))
        if communes is not None:
            conditions.append(QuestionLogRow.commune_code.in_(list(communes)))
        query = (
            select(QuestionLogRow.at, QuestionLogRow.action, func.count())
            .where(*conditions)
            .group_by(QuestionLogRow.at, QuestionLogRow.action)
        )
        return [
            QuestionCount(at, action, int(n))
            for at, action, n in await self.session.execute(query)
        ]

    async def open_missed_mark(
        self,
        provinces: Collection[str] | None = None,
        communes: Collection[str] | None = None,
    ) -> tuple[int, int]:
        """How many open missed questions there are in scope, and the newest one's id: the
        open set changes only by an insertion (a new id) or a resolution (one fewer)."""
        row = MissedQuestionRow
        query = select(func.count(), func.coalesce(func.max(row.id), 0)).where(
            row.status == "open"
        )
        if provinces is not None:
            query = query.where(row.province_code.in_(list(provinces)))
        if communes is not None:
            query = query.where(row.commune_code.in_(list(communes)))
        count, newest = (await self.session.execute(query)).one()
        return int(count), int(newest)

    async def open_missed(
        self,
        provinces: Collection[str] | None = None,
        communes: Collection[str] | None = None,
        limit: int = OPEN_LIMIT,
    ) -> list[MissedQuestionRow]:
        """Open missed questions, newest first; `communes` for a team leader's own places."""
        row = MissedQuestionRow
        query = select(row).where(row.status == "open")
        if provinces is not None:
            query = query.where(row.province_code.in_(list(provinces)))
        if communes is not None:
            query = query.where(row.commune_code.in_(list(communes)))
        query = query.order_by(row.at.desc(), row.id.desc()).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def close_missed(
        self, ids: Collection[int], status: str, version: int | None = None
    ) -> int:
        """Mark open missed questions `resolved` (attached to an intent by the publication of
        `version`) or `dismissed`."""
        if not ids:
            return 0
        row = MissedQuestionRow
        result = await self.session.execute(
            update(row)
            .where(row.id.in_(list(ids)), row.status == "open")
            .values(status=status, resolved_version=version)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def reopen_after(self, version: int) -> int:
        """A revert to `version`: questions resolved by a later publication are missed again
        (the examples they became are gone)."""
        row = MissedQuestionRow
        result = await self.session.execute(
            update(row)
            .where(row.status == "resolved", row.resolved_version > version)
            .values(status="open", resolved_version=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_person(self, person_id: int) -> int:
        """/xoadulieu: the person's missed questions go (the log holds nothing of theirs)."""
        result = await self.session.execute(
            delete(MissedQuestionRow).where(MissedQuestionRow.person_id == person_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge(self, before: datetime) -> int:
        """The retention period: log rows and missed questions older than `before`."""
        total = 0
        for table, column in (
            (QuestionLogRow, QuestionLogRow.at),
            (MissedQuestionRow, MissedQuestionRow.at),
        ):
            result = await self.session.execute(delete(table).where(column < before))
            total += int(getattr(result, "rowcount", 0) or 0)
        return total
