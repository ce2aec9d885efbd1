"""What the volunteers did in a period, for a province, a commune or a team.

`build_report` reads help requests, their events, field logs, people and teams, and returns a
`Report` of plain typed values; rendering (table, CSV, XLSX, PNG) lives in `bot.reporting`.

Definitions (they are what the province reads, so they are fixed here once):

- The period is a range of local dates in Vietnam time (UTC+7), both ends included. A help
  request belongs to it by `created_at` (converted to the local date), a field log by `day`.
- Demo rows (`help_requests.is_demo`, `field_logs.source == "demo"`) are counted like the
  others; the report says how many of them are inside (`demo_requests`, `demo_field_logs`).
- Requests by status and by topic: every request of the period. Outcomes: closed requests, by
  the outcome recorded on the request (the `outcome` events are its history);
  `closed_without_outcome` counts closed requests where nobody recorded one.
- Citizens helped: in chat, the requests with at least one `claimed` event; in the field, the
  sum of `field_logs.citizens_helped`.
- Services: each service of a closed request (chat) or of a field log counts once per row.
- Waiting time: from the request's first `created` event to its first `claimed` event.
  Handling time: from the first `claimed` event to the first `ended` or `idle_closed` event.
  Both come from event timestamps only; a request missing either end is left out of that
  figure, and so is a negative span (clocks that went backwards).
- Percentiles use linear interpolation between closest ranks (numpy's default, Excel's
  PERCENTILE.INC): for sorted x_0..x_{n-1}, h = (n - 1) * p and the value is
  x_floor(h) + (h - floor(h)) * (x_floor(h)+1 - x_floor(h)). The median is p = 0.5, i.e. the
  ordinary median (the mean of the two middle values for an even count).
- Ratings: requests of the period whose rating is 1 to 5.
- Per volunteer: requests taken (a `claimed` event by them, or they are the volunteer of an
  active or closed request, e.g. after a transfer), requests closed (closed with them as the
  volunteer), field logs and citizens helped in the field. Volunteers appear by display name
  (or handle when they have none or deleted their account), masked like any stored text;
  contact data (phones, channel ids, citizens) never enters a `Report`.

Every figure is aggregated in the database, so a year of all provinces (over a million
requests) returns a few thousand rows at most: counts by GROUP BY, the first event times from
the request itself (`help_requests.first_*_at`, kept by storage.request_times), percentiles
from the few ranks they need (storage.report_durations). Portable SQL except those ranks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intents.normalize import fold
from storage.masking import mask
from storage.models import FieldLogRow, HelpRequestRow, PersonRow, RequestEventRow, TeamRow
from storage.report_durations import SPANS, Durations, measured, percentile, span_durations
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, SERVICES, TOPICS

__all__ = [
    "VIETNAM",
    "CitizensHelped",
    "Durations",
    "Ratings",
    "Report",
    "ReportFilter",
    "ServiceCount",
    "VolunteerStats",
    "build_report",
    "percentile",
    "utc_bounds",
]

VIETNAM = timezone(timedelta(hours=7))
_TAKEN_STATUSES = ("active", "closed")
_ID_CHUNK = 500  # ids per IN (...) list: far below SQLite's and asyncpg's parameter limits


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


@dataclass(frozen=True)
class CitizensHelped:
    """Citizens helped in chat sessions (claimed requests) and in the field (field logs)."""

    chat: int
    field: int

    @property
    def total(self) -> int:
        return self.chat + self.field


@dataclass(frozen=True)
class Ratings:
    """Citizens' ratings: how many, their mean, and how many of each star from 1 to 5."""

    count: int
    mean: float | None
    distribution: tuple[tuple[int, int], ...]  # (stars, count) for stars 1..5, zeros included


@dataclass(frozen=True)
class ServiceCount:
    """How often a service was helped with: in closed chat sessions and in field logs."""

    code: str
    chat_sessions: int
    field_logs: int


@dataclass(frozen=True)
class VolunteerStats:
    """One volunteer's work; `name` is None for field logs that name nobody."""

    name: str | None
    sessions_claimed: int
    sessions_closed: int
    field_logs: int
    field_citizens: int


@dataclass(frozen=True)
class Report:
    """Every breakdown of one report, as plain values; rows keep the vocabularies' order.

    Breakdown rows are (code, count); codes are the stored ones (labels come from
    `storage.vocabulary` when rendering). Every known code is listed, zeros included; an
    unknown code found in the data follows, so nothing is silently dropped.
    `province_name` and `commune_name` are for display; the caller fills them in (the database
    only holds codes).
    """

    filter: ReportFilter
    generated_at: datetime
    team_name: str | None
    requests_total: int
    demo_requests: int
    demo_field_logs: int
    by_status: tuple[tuple[str, int], ...]
    by_topic: tuple[tuple[str, int], ...]
    by_outcome: tuple[tuple[str, int], ...]
    closed_without_outcome: int
    citizens: CitizensHelped
    field_logs_total: int
    services: tuple[ServiceCount, ...]
    wait: Durations
    handling: Durations
    ratings: Ratings
    volunteers: tuple[VolunteerStats, ...]
    province_name: str | None = field(default=None)
    commune_name: str | None = field(default=None)

    @property
    def demo_rows(self) -> int:
        """Demo help requests and demo field logs inside the figures."""
        return self.demo_requests + self.demo_field_logs


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants [from, until) covering local dates start..end in Vietnam time."""
    since = datetime.combine(start, time(0), tzinfo=VIETNAM)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=VIETNAM)
    return since.astimezone(UTC), until.astimezone(UTC)


def _request_scope(f: ReportFilter) -> list[ColumnElement[bool]]:
    since, until = utc_bounds(f.start, f.end)
    conditions = [HelpRequestRow.created_at >= since, HelpRequestRow.created_at < until]
    if f.province_code is not None:
        conditions.append(HelpRequestRow.province_code == f.province_code)
    if f.commune_code is not None:
        conditions.append(HelpRequestRow.commune_code == f.commune_code)
    if f.team_id is not None:
        conditions.append(HelpRequestRow.team_id == f.team_id)
    return conditions


def _field_scope(f: ReportFilter) -> list[ColumnElement[bool]]:
    conditions = [FieldLogRow.day >= f.start, FieldLogRow.day <= f.end]
    if f.province_code is not None:
        conditions.append(FieldLogRow.province_code == f.province_code)
    if f.commune_code is not None:
        conditions.append(FieldLogRow.commune_code == f.commune_code)
    if f.team_id is not None:
        conditions.append(FieldLogRow.team_id == f.team_id)
    return conditions


def _rows(counts: Counter[str], vocabulary: Iterable[str]) -> tuple[tuple[str, int], ...]:
    known = list(vocabulary)
    extra = sorted(code for code in counts if code not in known)
    return tuple((code, counts.get(code, 0)) for code in [*known, *extra])


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _service_codes(value: Any) -> set[str]:
    """The distinct service codes of one JSON list (anything else counts as nothing)."""
    if not isinstance(value, list):
        return set()
    return {item for item in value if isinstance(item, str)}


async def build_report(session: AsyncSession, filter: ReportFilter) -> Report:
    """Compute every figure of the report for `filter`, in a handful of queries."""
    generated_at = datetime.now(UTC)
    scope = _request_scope(filter)
    in_scope = and_(*scope)

    # 1. Counts by status, topic, outcome, rating and demo flag, and in the same pass how many
    # requests were claimed and how many spans each duration figure has: few rows.
    hr = HelpRequestRow

    def how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    grouped = await session.execute(
        select(
            hr.status,
            hr.topic,
            hr.outcome,
            hr.rating,
            hr.is_demo,
            func.count(),
            how_many(hr.first_claimed_at.is_not(None)),
            *(how_many(measured(since, until)) for since, until in SPANS.values()),
        )
        .where(in_scope)
        .group_by(hr.status, hr.topic, hr.outcome, hr.rating, hr.is_demo)
    )
    statuses: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    stars: Counter[int] = Counter()
    spans: Counter[str] = Counter()
    closed_without_outcome = demo_requests = claimed_requests = 0
    for status, topic, outcome, rating, is_demo, count, claimed, *measured_spans in grouped:
        statuses[status] += count
        topics[topic] += count
        if status == "closed":
            if outcome is None:
                closed_without_outcome += count
            else:
                outcomes[outcome] += count
        if rating is not None and 1 <= rating <= 5:
            stars[rating] += count
        if is_demo:
            demo_requests += count
        claimed_requests += int(claimed)
        spans.update(dict(zip(SPANS, map(int, measured_spans), strict=True)))
    rating_count = sum(stars.values())
    ratings = Ratings(
        count=rating_count,
        mean=sum(s * n for s, n in stars.items()) / rating_count if rating_count else None,
        distribution=tuple((s, stars.get(s, 0)) for s in range(1, 6)),
    )

    # 2. Waiting and handling times: the database ranks the spans, Python reads a few.
    durations = await span_durations(session, scope, {name: spans[name] for name in SPANS})

    # 3. Requests each volunteer took: claim events, or being the volunteer of the request.
    # Counted as the requests they are the volunteer of (status active or closed), plus the
    # requests they claimed without being that volunteer (released, transferred, cancelled):
    # the same as counting the union of both, without sorting a million pairs.
    taken: Counter[int] = Counter()
    closed_by: dict[int, int] = {}
    for person_id, volunteered, closed in await session.execute(
        select(
            hr.volunteer_id,
            how_many(hr.status.in_(_TAKEN_STATUSES)),
            how_many(hr.status == "closed"),
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
        hr.status.in_(_TAKEN_STATUSES),
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

    # 4. Services of closed chat sessions. JSON cannot be grouped on PostgreSQL, its text can:
    # each distinct list is decoded once and counted as many times as it occurs.
    chat_services: Counter[str] = Counter()
    services_text = cast(hr.services, Text)
    for text, count in await session.execute(
        select(services_text, func.count())
        .where(in_scope, hr.status == "closed")
        .group_by(services_text)
    ):
        for code in _service_codes(_json(text)):
            chat_services[code] += count

    # 5. Field logs of the period, grouped by who logged them (names are masked after the
    # grouping: two spellings that mask alike add up) and by their list of services.
    fl = FieldLogRow
    field_scope = _field_scope(filter)
    field_services: Counter[str] = Counter()
    field_logs_total = field_citizens = demo_field_logs = 0
    field_logs_by: Counter[tuple[str, int | str | None]] = Counter()
    field_citizens_by: Counter[tuple[str, int | str | None]] = Counter()
    for volunteer_id, volunteer_name, count, citizens, demo in await session.execute(
        select(
            fl.volunteer_id,
            fl.volunteer_name,
            func.count(),
            func.sum(fl.citizens_helped),
            how_many(fl.source == "demo"),
        )
        .where(*field_scope)
        .group_by(fl.volunteer_id, fl.volunteer_name)
    ):
        field_logs_total += count
        field_citizens += int(citizens)
        demo_field_logs += int(demo)
        key: tuple[str, int | str | None]
        if volunteer_id is not None:
            key = ("person", volunteer_id)
        elif volunteer_name and volunteer_name.strip():
            key = ("name", mask(volunteer_name.strip()).text)
        else:
            key = ("none", None)
        field_logs_by[key] += count
        field_citizens_by[key] += int(citizens)
    logged_text = cast(fl.services, Text)
    for text, count in await session.execute(
        select(logged_text, func.count()).where(*field_scope).group_by(logged_text)
    ):
        for code in _service_codes(_json(text)):
            field_services[code] += count

    # 6. Names of the volunteers involved, and of the team.
    person_ids = set(taken) | set(closed_by)
    person_ids |= {int(v) for kind, v in field_logs_by if kind == "person" and v is not None}
    names = await _volunteer_names(session, person_ids)
    team_name = None
    if filter.team_id is not None:
        team_name = await session.scalar(select(TeamRow.name).where(TeamRow.id == filter.team_id))

    keys: set[tuple[str, int | str | None]] = {("person", pid) for pid in person_ids}
    keys |= set(field_logs_by)
    volunteers = [
        VolunteerStats(
            name=_label(kind, value, names),
            sessions_claimed=taken.get(value, 0) if isinstance(value, int) else 0,
            sessions_closed=closed_by.get(value, 0) if isinstance(value, int) else 0,
            field_logs=field_logs_by[(kind, value)],
            field_citizens=field_citizens_by[(kind, value)],
        )
        for kind, value in keys
    ]
    volunteers.sort(  # busiest first; then by name as Vietnamese read it (Đ next to D)
        key=lambda v: (
            -v.sessions_claimed,
            -v.field_logs,
            v.name is None,
            fold(v.name or ""),
            v.name or "",
        )
    )

    service_codes = [*SERVICES, *sorted((chat_services | field_services).keys() - SERVICES.keys())]
    return Report(
        filter=filter,
        generated_at=generated_at,
        team_name=team_name,
        requests_total=sum(statuses.values()),
        demo_requests=demo_requests,
        demo_field_logs=demo_field_logs,
        by_status=_rows(statuses, REQUEST_STATUSES),
        by_topic=_rows(topics, TOPICS),
        by_outcome=_rows(outcomes, OUTCOMES),
        closed_without_outcome=closed_without_outcome,
        citizens=CitizensHelped(chat=claimed_requests, field=field_citizens),
        field_logs_total=field_logs_total,
        services=tuple(
            ServiceCount(code, chat_services.get(code, 0), field_services.get(code, 0))
            for code in service_codes
        ),
        wait=durations["wait"],
        handling=durations["handling"],
        ratings=ratings,
        volunteers=tuple(volunteers),
    )


def _label(kind: str, value: int | str | None, names: dict[int, str]) -> str | None:
    if kind == "person" and isinstance(value, int):
        return names.get(value, f"#{value}")
    if kind == "name" and isinstance(value, str):
        return value
    return None


async def _volunteer_names(session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
    """Display names (handle when none, or when the person deleted their account).

    Names are masked like stored text, so a phone number typed as a name never reaches a
    report; two people with the same display name are told apart by their handles.
    """
    people: list[tuple[int, str, str | None, datetime | None]] = []
    ordered = sorted(person_ids)
    for at in range(0, len(ordered), _ID_CHUNK):
        chunk = ordered[at : at + _ID_CHUNK]
        result = await session.execute(
            select(
                PersonRow.id, PersonRow.handle, PersonRow.display_name, PersonRow.deleted_at
            ).where(PersonRow.id.in_(chunk))
        )
        people.extend((pid, handle, name, deleted) for pid, handle, name, deleted in result)
    shown: dict[int, str] = {}
    for pid, handle, name, deleted_at in people:
        display = mask(name.strip()).text if name and name.strip() else ""
        shown[pid] = handle if deleted_at is not None or not display else display
    repeated = {name for name, n in Counter(shown.values()).items() if n > 1}
    handles = {pid: handle for pid, handle, _, _ in people}
    return {
        pid: f"{name} ({handles[pid]})" if name in repeated and name != handles[pid] else name
        for pid, name in shown.items()
    }
