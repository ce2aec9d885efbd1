"""What the console's support pages read: waiting requests per commune, volunteers, roster.

Every figure is grouped in the database (a province's year of requests never leaves it):
requests waiting or in progress per commune with the oldest wait, and the people of some
teams with their profile, communes and sessions in progress, a page at a time. The scope
arrives from the caller (bot.features.console.scope), as for the other console lists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HelpRequestRow, PersonRow, TeamRow, VolunteerCommuneRow, VolunteerRow

__all__ = ["CommuneLoad", "Member", "members", "waiting_by_commune"]

hr = HelpRequestRow
WAITING = ("open", "active")
STAFF = ("volunteer", "leader", "operator")


@dataclass(frozen=True, slots=True)
class CommuneLoad:
    """One commune's requests waiting for a volunteer and in progress, and the oldest wait."""

    commune_code: str
    waiting: int
    active: int
    oldest_waiting: datetime | None


async def waiting_by_commune(
    session: AsyncSession, scope: ColumnElement[bool] | None
) -> list[CommuneLoad]:
    """Communes with requests open or active, the longest-waiting first; one grouped query."""
    is_open = hr.status == "open"
    started = func.coalesce(hr.first_created_at, hr.created_at)
    query = (
        select(
            hr.commune_code,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((hr.status == "active", 1), else_=0)),
            func.min(case((is_open, started), else_=None)),
        )
        .where(scope if scope is not None else true(), hr.status.in_(WAITING))
        .group_by(hr.commune_code)
    )
    loads = [
        CommuneLoad(code, int(waiting or 0), int(active or 0), _aware(oldest))
        for code, waiting, active, oldest in await session.execute(query)
    ]
    never = datetime.max.replace(tzinfo=UTC)
    loads.sort(key=lambda load: (load.oldest_waiting or never, load.commune_code))
    return loads


def _aware(value: datetime | str | None) -> datetime | None:
    """MIN() over a timestamp loses the column type on SQLite (a text comes back)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Member:
    """A volunteer, leader or operator of a team, as the roster shows them."""

    id: int
    handle: str
    display_name: str | None
    role: str
    team_id: int | None
    team_name: str | None
    skills: tuple[str, ...]
    on_duty: bool
    max_sessions: int
    communes: tuple[str, ...]
    active: int


def _members_condition(
    team_ids: list[int] | None, communes: list[str] | None
) -> ColumnElement[bool]:
    """People of these teams (None: of any team), or serving one of these communes."""
    parts: list[ColumnElement[bool]] = []
    if team_ids is None:
        parts.append(PersonRow.team_id.is_not(None))
    elif team_ids:
        parts.append(PersonRow.team_id.in_(team_ids))
    if communes:
        vc = VolunteerCommuneRow
        parts.append(exists().where(vc.person_id == PersonRow.id, vc.commune_code.in_(communes)))
    return or_(*parts) if parts else PersonRow.id.is_(None)


async def members(
    session: AsyncSession,
    *,
    team_ids: list[int] | None,
    communes: list[str] | None = None,
    on_duty_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Member]]:
    """How many people match, and one page of them (team, then name order).

    Three more queries fill the page: communes and sessions in progress of its people only.
    """
    conditions: list[ColumnElement[bool]] = [
        PersonRow.role.in_(STAFF),
        PersonRow.deleted_at.is_(None),
        _members_condition(team_ids, communes),
    ]
    if on_duty_only:
        conditions.append(VolunteerRow.on_duty.is_(True))
    base = select(PersonRow.id).outerjoin(VolunteerRow, VolunteerRow.person_id == PersonRow.id)
    total = int(
        (
            await session.execute(
                select(func.count()).select_from(base.where(and_(*conditions)).subquery())
            )
        ).scalar_one()
    )
    query = (
        select(PersonRow, VolunteerRow, TeamRow.name)
        .outerjoin(VolunteerRow, VolunteerRow.person_id == PersonRow.id)
        .outerjoin(TeamRow, TeamRow.id == PersonRow.team_id)
        .where(*conditions)
        .order_by(PersonRow.team_id, PersonRow.display_name, PersonRow.handle)
        .limit(limit)
        .offset(offset)
    )
    rows = list((await session.execute(query)).tuples())
    ids = [person.id for person, _, _ in rows]
    served: dict[int, list[str]] = defaultdict(list)
    active: dict[int, int] = {}
    if ids:
        vc = VolunteerCommuneRow
        for person_id, code in await session.execute(
            select(vc.person_id, vc.commune_code)
            .where(vc.person_id.in_(ids))
            .order_by(vc.person_id, vc.commune_code)
        ):
            served[person_id].append(code)
        for person_id, count in await session.execute(
            select(hr.volunteer_id, func.count())
            .where(hr.volunteer_id.in_(ids), hr.status == "active")
            .group_by(hr.volunteer_id)
        ):
            active[int(person_id)] = int(count)
    found = [
        Member(
            person.id,
            person.handle,
            person.display_name,
            person.role,
            person.team_id,
            team_name,
            tuple(profile.skills or ()) if profile else (),
            bool(profile.on_duty) if profile else False,
            profile.max_sessions if profile else 2,
            tuple(served.get(person.id, ())),
            active.get(person.id, 0),
        )
        for person, profile, team_name in rows
    ]
    return total, found
