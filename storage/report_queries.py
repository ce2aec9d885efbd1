"""The report's queries: one per figure group, each aggregated in the database.

What the figures mean (the definitions a province reads) is written once, in
`bot.features.reports.model`; the feature folds these rows into a `Report`. This module only
asks the database: which rows belong to a report (`ReportFilter`, `request_scope`,
`field_scope`) and, for each group of figures, the few grouped rows it needs.

A year of all provinces (over a million requests) still returns a few thousand rows at most:
counts by GROUP BY, the first event times from the request itself (`help_requests.first_*_at`,
kept by storage.request_times), percentiles from the few ranks they need
(storage.report_durations). Portable SQL except those ranks. Nothing here returns contact
data: people come back as id, handle, display name and deletion time, for the feature to mask.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import NamedTuple

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FieldLogRow, HelpRequestRow, PersonRow, RequestEventRow, TeamRow
from storage.report_durations import SPANS, measured

__all__ = [
    "VIETNAM",
    "FieldGroup",
    "Person",
    "ReportFilter",
    "RequestGroup",
    "VolunteerRequests",
    "closed_request_services",
    "field_groups",
    "field_log_services",
    "field_scope",
    "people",
    "request_groups",
    "request_scope",
    "team_name",
    "utc_bounds",
    "volunteer_requests",
]

VIETNAM = timezone(timedelta(hours=7))
TAKEN_STATUSES = ("active", "closed")
_ID_CHUNK = 500  # ids per IN (...) list: far below SQLite's and asyncpg's parameter limits

hr = HelpRequestRow
fl = FieldLogRow


@dataclass(frozen=True)
class ReportFilter:
    """Which rows a report covers: local dates `start`..`end` (inclusive) and optional places."""

    start: date
    end: date
    province_code: str | None = None
    commune_code: str | None = None
    team_id: int | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants [from, until) covering local dates start..end in Vietnam time."""
    since = datetime.combine(start, time(0), tzinfo=VIETNAM)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=VIETNAM)
    return since.astimezone(UTC), until.astimezone(UTC)


def _places(
    row: type[HelpRequestRow] | type[FieldLogRow], f: ReportFilter
) -> list[ColumnElement[bool]]:
    """The province, commune and team conditions a filter asks for, on either table."""
    conditions: list[ColumnElement[bool]] = []
    if f.province_code is not None:
        conditions.append(row.province_code == f.province_code)
    if f.commune_code is not None:
        conditions.append(row.commune_code == f.commune_code)
    if f.team_id is not None:
        conditions.append(row.team_id == f.team_id)
    return conditions


def request_scope(f: ReportFilter) -> list[ColumnElement[bool]]:
    """Help requests of the report: created within the local dates, in the places asked for."""
    since, until = utc_bounds(f.start, f.end)
    return [hr.created_at >= since, hr.created_at < until, *_places(hr, f)]


def field_scope(f: ReportFilter) -> list[ColumnElement[bool]]:
    """Field logs of the report: their `day` within the dates, in the places asked for."""
    return [fl.day >= f.start, fl.day <= f.end, *_places(fl, f)]


def _how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


# --- Requests: counts, claims and measurable spans -----------------------------------------


class RequestGroup(NamedTuple):
    """Requests sharing status, topic, outcome, rating and demo flag: how many, how many of
    them were claimed, and how many have each duration figure's span (by `SPANS` name)."""

    status: str
    topic: str
    outcome: str | None
    rating: int | None
    is_demo: bool
    requests: int
    claimed: int
    spans: dict[str, int]


async def request_groups(session: AsyncSession, f: ReportFilter) -> list[RequestGroup]:
    """One pass over the requests of the report: few rows, whatever the period."""
    result = await session.execute(
        select(
            hr.status,
            hr.topic,
            hr.outcome,
            hr.rating,
            hr.is_demo,
            func.count(),
            _how_many(hr.first_claimed_at.is_not(None)),
            *(_how_many(measured(since, until)) for since, until in SPANS.values()),
        )
        .where(and_(*request_scope(f)))
        .group_by(hr.status, hr.topic, hr.outcome, hr.rating, hr.is_demo)
    )
    return [
        RequestGroup(
            status,
            topic,
            outcome,
            rating,
            is_demo,
            count,
            int(claimed),
            dict(zip(SPANS, map(int, spans), strict=True)),
        )
        for status, topic, outcome, rating, is_demo, count, claimed, *spans in result
    ]


# --- Requests each volunteer took and closed -----------------------------------------------


@dataclass(frozen=True)
class VolunteerRequests:
    """Per person id: requests taken (claimed, or theirs while active or closed) and closed."""

    taken: Counter[int]
    closed: dict[int, int]


async def volunteer_requests(session: AsyncSession, f: ReportFilter) -> VolunteerRequests:
    """Requests taken and closed by each volunteer, in two grouped queries.

    Taken counts the requests they are the volunteer of (status active or closed), plus the
    requests they claimed without being that volunteer (released, transferred, cancelled):
    the same as counting the union of both, without sorting a million pairs.
    """
    in_scope = and_(*request_scope(f))
    taken: Counter[int] = Counter()
    closed_by: dict[int, int] = {}
    for person_id, volunteered, closed in await session.execute(
        select(
            hr.volunteer_id,
            _how_many(hr.status.in_(TAKEN_STATUSES)),
            _how_many(hr.status == "closed"),
        )
        .where(in_scope, hr.volunteer_id.is_not(None))
        .group_by(hr.volunteer_id)
    ):
        if volunteered:
            taken[int(person_id)] += int(volunteered)
        if closed:
            closed_by[int(person_id)] = int(closed)
    ev = RequestEventRow
    their_own = and_(
        hr.status.in_(TAKEN_STATUSES),
        hr.volunteer_id.is_not(None),
        hr.volunteer_id == ev.actor_id,
    )
    for person_id, count in await session.execute(
        select(ev.actor_id, func.count(ev.request_id.distinct()))
        .join(hr, hr.id == ev.request_id)
        .where(in_scope, ev.kind == "claimed", ev.actor_id.is_not(None), ~their_own)
        .group_by(ev.actor_id)
    ):
        taken[int(person_id)] += int(count)
    return VolunteerRequests(taken, closed_by)


# --- Services: JSON lists, grouped by their text --------------------------------------------


async def closed_request_services(
    session: AsyncSession, f: ReportFilter
) -> list[tuple[str | None, int]]:
    """(services JSON text, how many closed requests have it).

    JSON cannot be grouped on PostgreSQL, its text can: each distinct list comes back once.
    """
    services_text = cast(hr.services, Text)
    result = await session.execute(
        select(services_text, func.count())
        .where(*request_scope(f), hr.status == "closed")
        .group_by(services_text)
    )
    return [(text, int(count)) for text, count in result]


async def field_log_services(
    session: AsyncSession, f: ReportFilter
) -> list[tuple[str | None, int]]:
    """(services JSON text, how many field logs of the report have it)."""
    logged_text = cast(fl.services, Text)
    result = await session.execute(
        select(logged_text, func.count()).where(*field_scope(f)).group_by(logged_text)
    )
    return [(text, int(count)) for text, count in result]


# --- Field logs ----------------------------------------------------------------------------


class FieldGroup(NamedTuple):
    """Field logs of one volunteer id and written name: how many, citizens, demo ones."""

    volunteer_id: int | None
    volunteer_name: str | None
    logs: int
    citizens: int
    demo: int


async def field_groups(session: AsyncSession, f: ReportFilter) -> list[FieldGroup]:
    """Field logs of the report grouped by who logged them (names as written, unmasked)."""
    result = await session.execute(
        select(
            fl.volunteer_id,
            fl.volunteer_name,
            func.count(),
            func.sum(fl.citizens_helped),
            _how_many(fl.source == "demo"),
        )
        .where(*field_scope(f))
        .group_by(fl.volunteer_id, fl.volunteer_name)
    )
    return [
        FieldGroup(volunteer_id, name, int(count), int(citizens), int(demo))
        for volunteer_id, name, count, citizens, demo in result
    ]


# --- People and team -----------------------------------------------------------------------


class Person(NamedTuple):
    """What a report may show of a person: handle and display name (masked by the caller)."""

    id: int
    handle: str
    display_name: str | None
    deleted_at: datetime | None


async def people(session: AsyncSession, person_ids: set[int]) -> list[Person]:
    """The people with these ids, asked for in chunks of ids."""
    found: list[Person] = []
    ordered = sorted(person_ids)
    for at in range(0, len(ordered), _ID_CHUNK):
        chunk = ordered[at : at + _ID_CHUNK]
        result = await session.execute(
            select(
                PersonRow.id, PersonRow.handle, PersonRow.display_name, PersonRow.deleted_at
            ).where(PersonRow.id.in_(chunk))
        )
        found.extend(Person(pid, handle, name, deleted) for pid, handle, name, deleted in result)
    return found


async def team_name(session: AsyncSession, team_id: int) -> str | None:
    """The team's name, or None when there is no such team."""
    name: str | None = await session.scalar(select(TeamRow.name).where(TeamRow.id == team_id))
    return name
