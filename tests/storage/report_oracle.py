"""The report as computed before the figures moved into the database: the oracle.

This is `build_report` (then in storage/reports.py) as it was up to migration 0008, kept word
for word (only renamed, given the old percentile, its helpers imported from where they live
now): one row per claimed request and per field log fetched into Python, durations read from
`request_events` by MIN over CASE, and medians and 90th percentiles computed over the fetched
values. Tests compare the new computation with it; it reads only the events, never the
`help_requests.first_*_at` copies.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Text, and_, case, cast, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.reports.model import (
    CitizensHelped,
    Ratings,
    Report,
    ServiceCount,
    VolunteerStats,
)
from bot.features.reports.requests import by_code
from bot.features.reports.services import decode
from bot.features.reports.services import service_codes as codes_of
from bot.features.reports.volunteers import display_names, volunteer_label
from intents.normalize import fold
from storage.masking import mask
from storage.models import FieldLogRow, HelpRequestRow, RequestEventRow, TeamRow
from storage.report_durations import Durations
from storage.report_queries import ReportFilter, field_scope, people, request_scope
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, SERVICES, TOPICS

__all__ = ["old_build_report", "old_percentile"]

_END_KINDS = ("ended", "idle_closed")
_TAKEN_STATUSES = ("active", "closed")


def old_percentile(sorted_values: Sequence[float], p: float) -> float:
    h = (len(sorted_values) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (h - low) * (sorted_values[high] - sorted_values[low])


def _durations(minutes: Iterable[float]) -> Durations:
    values = sorted(minutes)
    if not values:
        return Durations(0, None, None)
    return Durations(len(values), old_percentile(values, 0.5), old_percentile(values, 0.9))


def _minutes(since: datetime | None, until: datetime | None) -> float | None:
    if since is None or until is None:
        return None
    seconds = (until - since).total_seconds()
    return seconds / 60.0 if seconds >= 0 else None


async def old_build_report(session: AsyncSession, filter: ReportFilter) -> Report:
    """Compute every figure of the report for `filter`, in a handful of queries."""
    generated_at = datetime.now(UTC)
    scope = request_scope(filter)
    in_scope = and_(*scope)

    # 1. Counts by status, topic, outcome, rating and demo flag: few rows.
    hr = HelpRequestRow
    grouped = await session.execute(
        select(hr.status, hr.topic, hr.outcome, hr.rating, hr.is_demo, func.count())
        .where(in_scope)
        .group_by(hr.status, hr.topic, hr.outcome, hr.rating, hr.is_demo)
    )
    statuses: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    stars: Counter[int] = Counter()
    closed_without_outcome = demo_requests = 0
    for status, topic, outcome, rating, is_demo, count in grouped:
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
    rating_count = sum(stars.values())
    ratings = Ratings(
        count=rating_count,
        mean=sum(s * n for s, n in stars.items()) / rating_count if rating_count else None,
        distribution=tuple((s, stars.get(s, 0)) for s in range(1, 6)),
    )

    # 2. Per request, the first created, claimed and end event: one row per request.
    # Requests never claimed are left out (HAVING): they have neither duration.
    ev = RequestEventRow
    first_claim = func.min(case((ev.kind == "claimed", ev.at)))
    firsts = await session.execute(
        select(
            ev.request_id,
            func.min(case((ev.kind == "created", ev.at))),
            first_claim,
            func.min(case((ev.kind.in_(_END_KINDS), ev.at))),
        )
        .join(hr, hr.id == ev.request_id)
        .where(in_scope, ev.kind.in_(("created", "claimed", *_END_KINDS)))
        .group_by(ev.request_id)
        .having(first_claim.is_not(None))
    )
    waits: list[float] = []
    handlings: list[float] = []
    claimed_requests = 0
    for _, created, claimed, ended in firsts:
        if claimed is None:
            continue
        claimed_requests += 1
        wait = _minutes(created, claimed)
        if wait is not None:
            waits.append(wait)
        handling = _minutes(claimed, ended)
        if handling is not None:
            handlings.append(handling)

    # 3. Requests each volunteer took: claim events, or being the volunteer of the request.
    takers = union(
        select(ev.request_id.label("request_id"), ev.actor_id.label("person_id"))
        .join(hr, hr.id == ev.request_id)
        .where(in_scope, ev.kind == "claimed", ev.actor_id.is_not(None)),
        select(hr.id.label("request_id"), hr.volunteer_id.label("person_id")).where(
            in_scope, hr.volunteer_id.is_not(None), hr.status.in_(_TAKEN_STATUSES)
        ),
    ).subquery()
    taken: dict[int, int] = {
        int(person_id): int(count)
        for person_id, count in await session.execute(
            select(takers.c.person_id, func.count()).group_by(takers.c.person_id)
        )
    }
    closed_by: dict[int, int] = {
        int(person_id): int(count)
        for person_id, count in await session.execute(
            select(hr.volunteer_id, func.count())
            .where(in_scope, hr.status == "closed", hr.volunteer_id.is_not(None))
            .group_by(hr.volunteer_id)
        )
    }

    # 4. Services of closed chat sessions. JSON cannot be grouped on PostgreSQL, its text can:
    # each distinct list is decoded once and counted as many times as it occurs.
    chat_services: Counter[str] = Counter()
    services_text = cast(hr.services, Text)
    for text, count in await session.execute(
        select(services_text, func.count())
        .where(in_scope, hr.status == "closed")
        .group_by(services_text)
    ):
        for code in codes_of(decode(text)):
            chat_services[code] += count

    # 5. Field logs of the period.
    fl = FieldLogRow
    field_services: Counter[str] = Counter()
    field_logs_total = field_citizens = demo_field_logs = 0
    field_logs_by: Counter[tuple[str, int | str | None]] = Counter()
    field_citizens_by: Counter[tuple[str, int | str | None]] = Counter()
    for volunteer_id, volunteer_name, services, citizens, source in await session.execute(
        select(fl.volunteer_id, fl.volunteer_name, fl.services, fl.citizens_helped, fl.source)
        .where(*field_scope(filter))
        .order_by(fl.id)
    ):
        field_logs_total += 1
        field_citizens += citizens
        if source == "demo":
            demo_field_logs += 1
        field_services.update(codes_of(services))
        key: tuple[str, int | str | None]
        if volunteer_id is not None:
            key = ("person", volunteer_id)
        elif volunteer_name and volunteer_name.strip():
            key = ("name", mask(volunteer_name.strip()).text)
        else:
            key = ("none", None)
        field_logs_by[key] += 1
        field_citizens_by[key] += citizens

    # 6. Names of the volunteers involved, and of the team.
    person_ids = set(taken) | set(closed_by)
    person_ids |= {int(v) for kind, v in field_logs_by if kind == "person" and v is not None}
    names = display_names(await people(session, person_ids))
    team_name = None
    if filter.team_id is not None:
        team_name = await session.scalar(select(TeamRow.name).where(TeamRow.id == filter.team_id))

    keys: set[tuple[str, int | str | None]] = {("person", pid) for pid in person_ids}
    keys |= set(field_logs_by)
    volunteers = [
        VolunteerStats(
            name=volunteer_label(kind, value, names),
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
        by_status=by_code(statuses, REQUEST_STATUSES),
        by_topic=by_code(topics, TOPICS),
        by_outcome=by_code(outcomes, OUTCOMES),
        closed_without_outcome=closed_without_outcome,
        citizens=CitizensHelped(chat=claimed_requests, field=field_citizens),
        field_logs_total=field_logs_total,
        services=tuple(
            ServiceCount(code, chat_services.get(code, 0), field_services.get(code, 0))
            for code in service_codes
        ),
        wait=_durations(waits),
        handling=_durations(handlings),
        ratings=ratings,
        volunteers=tuple(volunteers),
    )
