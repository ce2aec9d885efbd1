"""What the console's list pages read: help requests in a scope, one request, the audit log.

The scope arrives as a SQL condition built by the caller (bot.features.console.scope), so
the rule of who sees what is written once. Lists are paged by LIMIT/OFFSET over an indexed
order; a page never loads more rows than it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import AuditRow, HelpRequestRow, PersonRow, RequestEventRow

__all__ = ["AuditEntry", "EventEntry", "audit_page", "request_events", "requests_page"]


@dataclass(frozen=True, slots=True)
class EventEntry:
    """One step of a request, with who did it (a handle, or None for the bot)."""

    kind: str
    at: datetime
    actor: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row with the actor's handle."""

    id: int
    at: datetime
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, object]


async def requests_page(
    session: AsyncSession,
    scope: ColumnElement[bool] | None,
    *,
    statuses: tuple[str, ...] = (),
    commune_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[HelpRequestRow]]:
    """How many requests match, and one page of them: waiting ones oldest first (who has
    waited longest comes first), the others newest first."""
    hr = HelpRequestRow
    conditions: list[ColumnElement[bool]] = [scope if scope is not None else true()]
    if statuses:
        conditions.append(hr.status.in_(statuses))
    if commune_code:
        conditions.append(hr.commune_code == commune_code)
    total = int(
        (
            await session.execute(select(func.count()).select_from(hr).where(*conditions))
        ).scalar_one()
    )
    order = hr.created_at.asc() if statuses == ("open",) else hr.created_at.desc()
    query = select(hr).where(*conditions).order_by(order, hr.id).limit(limit).offset(offset)
    return total, list((await session.execute(query)).scalars())


async def request_events(session: AsyncSession, request_id: int) -> list[EventEntry]:
    """A request's history, oldest first, with actors by handle."""
    actor = aliased(PersonRow)
    query = (
        select(RequestEventRow.kind, RequestEventRow.at, actor.handle)
        .outerjoin(actor, actor.id == RequestEventRow.actor_id)
        .where(RequestEventRow.request_id == request_id)
        .order_by(RequestEventRow.at, RequestEventRow.id)
    )
    return [EventEntry(kind, at, handle) for kind, at, handle in await session.execute(query)]


async def audit_page(
    session: AsyncSession, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[AuditEntry]]:
    """The audit log, newest first, one page."""
    total = int((await session.execute(select(func.count()).select_from(AuditRow))).scalar_one())
    actor = aliased(PersonRow)
    query = (
        select(AuditRow, actor.handle)
        .outerjoin(actor, actor.id == AuditRow.actor_id)
        .order_by(AuditRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    entries = [
        AuditEntry(row.id, row.at, handle, row.action, row.target, dict(row.detail or {}))
        for row, handle in (await session.execute(query)).tuples()
    ]
    return total, entries
