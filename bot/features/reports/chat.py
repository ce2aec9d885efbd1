"""/baocao: a team leader (or operator) gets the team's report as an XLSX file in the chat.

Leaders see their own team; operators see everything. The period defaults to the current
month up to today, in Vietnam time; "today" and the report's time are the turn's `now`, read
from the Bot's clock, so a fixed clock gives a fixed report.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.fieldlogs.form import parse_day
from bot.features.reports.build import build_report
from bot.features.reports.xlsx_export import XLSX_TYPE, render_xlsx
from bot.messages import Attachment, Reply
from bot.support.common import Toolkit
from storage.models import PersonRow
from storage.report_queries import VIETNAM, ReportFilter
from storage.teams import TeamRepository

__all__ = ["ChatReports"]

_DATE = re.compile(r"\d{1,2}[/\-.]\d{1,2}(?:[/\-.]\d{2,4})?")


class ChatReports:
    """Builds the report file a leader asked for; the router has checked the role."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    def period(self, arg: str, today: date) -> tuple[date, date] | None:
        """'' -> this month; '01/10 31/10' or '01/10/2026 31/10/2026' -> that range."""
        found = _DATE.findall(arg)
        if not found:
            return today.replace(day=1), today
        days = [parse_day(text, today) for text in found[:2]]
        if any(d is None for d in days):
            return None
        start, end = days[0], days[1] if len(days) > 1 else today
        if start is None or end is None or end < start:
            return None
        return start, end

    async def __call__(
        self, session: AsyncSession, person: PersonRow, arg: str, now: datetime
    ) -> list[Reply]:
        today = now.astimezone(VIETNAM).date()
        period = self.period(arg, today)
        if period is None:
            return [Reply(self.t("report_usage"))]
        start, end = period
        team = await TeamRepository(session).get(person.team_id) if person.team_id else None
        if person.role != "operator" and team is None:
            return [Reply(self.t("invite_no_team"))]
        scope = (
            ReportFilter(start, end, team_id=team.id)
            if person.role != "operator" and team
            else (ReportFilter(start, end))
        )
        report = await build_report(session, scope, now=now)
        if team is not None and person.role != "operator":
            commune = self.kit.places.commune(team.commune_code)
            report = replace(report, commune_name=commune.label if commune else None)
        data = render_xlsx(report)
        name = f"bao-cao-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        text = self.t(
            "report_ready",
            start=start.strftime("%d/%m/%Y"),
            end=end.strftime("%d/%m/%Y"),
            requests=report.requests_total,
            citizens=report.citizens.total,
        )
        return [Reply(text, attachment=Attachment(name, data, XLSX_TYPE))]
