"""Who sees which help requests in the console: the chat's rules, applied to web pages.

An operator sees every request of the deployment (its provinces: TROLYSO_PROVINCES, read
through `Places`, as the chat reads them). A team leader sees what the chat lets them serve
(bot.support.sessions.SessionDesk.may_serve): requests of their team, and of the communes
they serve or their team belongs to; reports of their team, as /baocao builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.ext.asyncio import AsyncSession

from intents.places import Places
from storage.models import HelpRequestRow, PersonRow, TeamRow
from storage.people import PeopleRepository
from storage.report_queries import ReportFilter
from storage.teams import TeamRepository

__all__ = ["Scope", "scope_of"]


@dataclass(frozen=True)
class Scope:
    """The requests one person may see. `provinces` None: the whole deployment."""

    role: str
    provinces: frozenset[str] | None = None
    team_id: int | None = None
    communes: frozenset[str] = frozenset()

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    def condition(self) -> ColumnElement[bool] | None:
        """The SQL condition on help_requests (None: no restriction)."""
        hr = HelpRequestRow
        if self.is_operator:
            return hr.province_code.in_(sorted(self.provinces)) if self.provinces else None
        parts: list[ColumnElement[bool]] = []
        if self.team_id is not None:
            parts.append(hr.team_id == self.team_id)
        if self.communes:
            parts.append(hr.commune_code.in_(sorted(self.communes)))
        return or_(*parts) if parts else false()

    def covers(self, request: HelpRequestRow) -> bool:
        """The same rule as `condition`, for one request already loaded."""
        if self.is_operator:
            return self.provinces is None or request.province_code in self.provinces
        return (
            self.team_id is not None and request.team_id == self.team_id
        ) or request.commune_code in self.communes

    def covers_team(self, team: TeamRow) -> bool:
        """A team this person runs: a leader their own, an operator any of their provinces'."""
        if self.is_operator:
            return self.provinces is None or team.province_code in self.provinces
        return self.team_id is not None and team.id == self.team_id

    def covers_place(self, commune_code: str, province_code: str) -> bool:
        """A commune whose figures this person may see (and log field work for)."""
        if self.is_operator:
            return self.provinces is None or province_code in self.provinces
        return commune_code in self.communes

    def report_filter(self, start: date, end: date) -> ReportFilter | None:
        """The report a chat user of this role gets (/baocao); None: nothing to report."""
        if self.is_operator:
            single = (
                next(iter(self.provinces)) if self.provinces and len(self.provinces) == 1 else None
            )
            return ReportFilter(start, end, province_code=single)
        if self.team_id is None:
            return None
        return ReportFilter(start, end, team_id=self.team_id)


async def scope_of(
    session: AsyncSession, person: PersonRow, places: Places, limited: bool
) -> Scope:
    """The scope of a leader or operator; `limited`: TROLYSO_PROVINCES is set."""
    if person.role == "operator":
        served = frozenset(p.code for p in places.provinces()) if limited else None
        return Scope("operator", provinces=served)
    communes = set(await PeopleRepository(session).communes(person.id))
    team = await TeamRepository(session).get(person.team_id) if person.team_id else None
    if team is not None:
        communes.add(team.commune_code)
    return Scope(person.role, team_id=team.id if team else None, communes=frozenset(communes))
