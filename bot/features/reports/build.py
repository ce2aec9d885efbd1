"""`build_report`: every figure of a report, one figure group at a time.

Each group runs its query in `storage.report_queries` (durations in
`storage.report_durations`) and folds the rows in its own module: `requests`, `field_work`,
`services`, `volunteers`. The queries run in the order the figures read, in the caller's
session. The report's time is the caller's clock reading, so a test (or a replay) with a
fixed clock gets the same report byte for byte.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.reports.field_work import field_work
from bot.features.reports.model import CitizensHelped, Report
from bot.features.reports.requests import request_figures
from bot.features.reports.services import count_services, service_counts
from bot.features.reports.volunteers import display_names, involved, volunteer_stats
from storage.helpdays import HelpDayRepository
from storage.report_durations import span_durations
from storage.report_queries import (
    ReportFilter,
    closed_request_services,
    field_groups,
    field_log_services,
    people,
    request_groups,
    request_scope,
    team_name,
    volunteer_requests,
)

__all__ = ["build_report"]


async def build_report(session: AsyncSession, filter: ReportFilter, *, now: datetime) -> Report:
    """Compute every figure of the report for `filter`, in a handful of queries.

    `now` is the time the report is made at, read from the caller's clock (the Bot's for
    /baocao, the command's for `trolyso report`); it must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("the report's time must be timezone-aware")
    requests = request_figures(await request_groups(session, filter))
    durations = await span_durations(session, request_scope(filter), requests.spans)
    chat = await volunteer_requests(session, filter)
    chat_services = count_services(await closed_request_services(session, filter))
    field = field_work(await field_groups(session, filter))
    field_services = count_services(await field_log_services(session, filter))
    names = display_names(await people(session, involved(chat, field)))
    team = await team_name(session, filter.team_id) if filter.team_id is not None else None
    held, reminded = await help_day_figures(session, filter, now)
    return Report(
        filter=filter,
        generated_at=now,
        team_name=team,
        requests_total=requests.total,
        demo_requests=requests.demo,
        demo_field_logs=field.demo_logs,
        by_status=requests.by_status,
        by_topic=requests.by_topic,
        by_outcome=requests.by_outcome,
        closed_without_outcome=requests.closed_without_outcome,
        citizens=CitizensHelped(chat=requests.claimed, field=field.citizens),
        field_logs_total=field.logs,
        services=service_counts(chat_services, field_services),
        wait=durations["wait"],
        handling=durations["handling"],
        ratings=requests.ratings,
        volunteers=volunteer_stats(chat, field, names),
        help_days_held=held,
        help_days_reminded=reminded,
    )


async def help_day_figures(
    session: AsyncSession, filter: ReportFilter, now: datetime
) -> tuple[int, int]:
    """(help days held, people reminded) in the filter's places: a team's are its commune's
    and the communes its members serve. Days still to come are not "held" yet."""
    today = now.astimezone(timezone(timedelta(hours=7))).date()
    communes: list[str] | None = None
    if filter.commune_code is not None:
        communes = [filter.commune_code]
    elif filter.team_id is not None:
        communes = await HelpDayRepository(session).team_communes(filter.team_id)
    return await HelpDayRepository(session).figures(
        filter.start, min(filter.end, today), communes, filter.province_code
    )
