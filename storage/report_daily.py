"""Day-by-day figures for the console's charts, over the same rows as a report.

The totals of a period come from `bot.features.reports.build.build_report`; this module only splits
three of them by local day (requests opened, requests claimed, citizens helped in the
field), using the report's own scope rules, in one pass over the period per table.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FieldLogRow, HelpRequestRow
from storage.report_queries import ReportFilter, field_scope, request_scope, utc_bounds

__all__ = ["DailyFigures", "daily_figures"]

DailyFigures = dict[str, list[int]]


async def daily_figures(session: AsyncSession, filter: ReportFilter) -> DailyFigures:
    """{"opened": [...], "claimed": [...], "field_citizens": [...]}, one value per day."""
    days = [filter.start + timedelta(days=i) for i in range((filter.end - filter.start).days + 1)]
    bounds = [utc_bounds(day, day) for day in days]
    hr = HelpRequestRow

    def per_day(*extra: ColumnElement[bool]) -> list[ColumnElement[int]]:
        return [
            func.sum(
                case((and_(hr.created_at >= since, hr.created_at < until, *extra), 1), else_=0)
            )
            for since, until in bounds
        ]

    row = (
        await session.execute(
            select(*per_day(), *per_day(hr.first_claimed_at.is_not(None))).where(
                *request_scope(filter)
            )
        )
    ).one()
    values = [int(v or 0) for v in row]
    field: dict[date, int] = {
        day: int(citizens or 0)
        for day, citizens in await session.execute(
            select(FieldLogRow.day, func.sum(FieldLogRow.citizens_helped))
            .where(*field_scope(filter))
            .group_by(FieldLogRow.day)
        )
    }
    return {
        "opened": values[: len(days)],
        "claimed": values[len(days) :],
        "field_citizens": [field.get(day, 0) for day in days],
    }
