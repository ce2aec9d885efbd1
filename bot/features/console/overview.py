"""The overview's figures: the last 7 days against the 7 before, and a chart per series.

Help requests, waiting time, outcomes and field work come from the report
(`bot.features.reports.build.build_report`, the code behind /baocao and `trolyso report`), for the
viewer's scope; questions and feedback from the question log (whole deployment: the log is
anonymous and has no team).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.console.scope import Scope
from bot.features.reports.build import build_report
from bot.features.reports.model import Report
from storage.questions import QuestionLogRepository
from storage.report_daily import daily_figures
from storage.report_queries import VIETNAM, ReportFilter, utc_bounds

__all__ = ["WEEK", "Overview", "Week", "build_overview"]

WEEK = 7


@dataclass(frozen=True)
class Week:
    """One 7-day period's figures (reports are None when the viewer has no team)."""

    start: date
    end: date
    actions: Counter[str]
    report: Report | None

    @property
    def asked(self) -> int:
        return sum(self.actions[a] for a in ("answer", "clarify", "fallback"))


@dataclass(frozen=True)
class Overview:
    """This week, last week, and 14 values per charted series (oldest day first)."""

    this: Week
    last: Week
    days: list[date]
    daily: dict[str, list[float | None]]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


async def build_overview(session: AsyncSession, scope: Scope, now: datetime) -> Overview:
    today = now.astimezone(VIETNAM).date()
    first = today - timedelta(days=2 * WEEK - 1)
    days = [first + timedelta(days=i) for i in range(2 * WEEK)]
    since, until = utc_bounds(first, today)
    by_day: dict[date, Counter[str]] = {day: Counter() for day in days}
    for count in await QuestionLogRepository(session).counts(since, until):
        day = count.hour.astimezone(VIETNAM).date()
        if day in by_day:
            by_day[day][count.action] += count.count

    def week(start: date) -> Week:
        actions: Counter[str] = Counter()
        for offset in range(WEEK):
            actions.update(by_day[start + timedelta(days=offset)])
        return Week(start, start + timedelta(days=WEEK - 1), actions, None)

    last, this = week(first), week(first + timedelta(days=WEEK))
    daily: dict[str, list[float | None]] = {}
    asked = [sum(by_day[d][a] for a in ("answer", "clarify", "fallback")) for d in days]
    daily["asked"] = [float(n) for n in asked]
    for action in ("answer", "clarify", "fallback"):
        daily[action] = [_rate(by_day[d][action], n) for d, n in zip(days, asked, strict=True)]
    for action in ("helpful", "unhelpful"):
        daily[action] = [float(by_day[d][action]) for d in days]

    whole = scope.report_filter(first, today)
    if whole is not None:
        figures = await daily_figures(session, whole)
        for key, values in figures.items():
            daily[key] = [float(v) for v in values]
        reports = []
        for period in (last, this):
            report_filter = ReportFilter(
                period.start,
                period.end,
                province_code=whole.province_code,
                team_id=whole.team_id,
            )
            reports.append(await build_report(session, report_filter, now=now))
        last = Week(last.start, last.end, last.actions, reports[0])
        this = Week(this.start, this.end, this.actions, reports[1])
    return Overview(this, last, days, daily)
