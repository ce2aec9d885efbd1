"""Which communes a leader or operator manages: the console's scope rule, for the chat too.

An operator manages every commune of the deployment (None); a team leader the communes they
serve and their team's commune, as bot.features.console.scope.scope_of reads them.
"""

from __future__ import annotations

from storage.models import PersonRow
from storage.people import PeopleRepository
from storage.teams import TeamRepository

__all__ = ["managed_communes", "may_manage"]


async def managed_communes(
    people: PeopleRepository, teams: TeamRepository, person: PersonRow
) -> frozenset[str] | None:
    """None: every commune (an operator); otherwise the codes this leader may manage."""
    if person.role == "operator":
        return None
    if person.role != "leader":
        return frozenset()
    communes = set(await people.communes(person.id))
    team = await teams.get(person.team_id) if person.team_id else None
    if team is not None:
        communes.add(team.commune_code)
    return frozenset(communes)


def may_manage(managed: frozenset[str] | None, commune_code: str) -> bool:
    return managed is None or commune_code in managed
