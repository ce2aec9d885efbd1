"""Invite codes of a team: the one place that creates and revokes them.

The chat's /moi (bot.support.team.TeamDesk.invite) and the console's support page
(bot.features.support_pages) both call these, so the bounds, the audit entries and what
"revoked" means are written once. Who may act on which team is the caller's check (the
router's role check in the chat, the console's scope on the web).
"""

from __future__ import annotations

from datetime import timedelta

from bot.support.common import SupportConfig, Turn
from storage.models import InviteRow, PersonRow, TeamRow

__all__ = ["MAX_INVITE_DAYS", "create_invite", "invite_bounds_ok", "revoke_invite"]

MAX_INVITE_DAYS = 90


def invite_bounds_ok(uses: int, days: int, config: SupportConfig) -> bool:
    """Uses from 1 to the deployment's maximum, days from 1 to 90."""
    return 1 <= uses <= config.max_invite_uses and 1 <= days <= MAX_INVITE_DAYS


async def create_invite(
    turn: Turn, actor: PersonRow, team: TeamRow, uses: int, days: int, config: SupportConfig
) -> InviteRow | None:
    """A new code for `team`, audited as `invite_created`; None when uses or days are out of
    bounds (see `invite_bounds_ok`)."""
    if not invite_bounds_ok(uses, days, config):
        return None
    expires = turn.now + timedelta(days=days)
    invite = await turn.teams.new_invite(team, actor.id, uses, expires, turn.now)
    await turn.audit.record(
        "invite_created", turn.now, actor.id, invite.code, team=team.id, uses=uses, days=days
    )
    return invite


async def revoke_invite(turn: Turn, actor: PersonRow, invite: InviteRow) -> bool:
    """Stop a code from being used (audited as `invite_revoked`); False if it already was."""
    if not await turn.teams.revoke_invite(invite, turn.now):
        return False
    await turn.audit.record("invite_revoked", turn.now, actor.id, invite.code, team=invite.team_id)
    return True
