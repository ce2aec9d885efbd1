"""Volunteer, team-leader and operator commands: join, duty, skills, communes, invites, roles.

Every command here is checked against the sender's role on the server side by the router
before it runs; these functions only do the work.
"""

from __future__ import annotations

from dataclasses import replace

from bot import payloads
from bot.messages import Button, Reply
from bot.state import ConversationState
from bot.support.common import (
    Toolkit,
    Turn,
    command_button,
    same_ref,
    show_ref,
    toggled,
    typed_number,
)
from bot.support.invites import create_invite
from bot.support.limits import CODE_GUESSES
from intents.normalize import fold
from storage.models import PersonRow, TeamRow
from storage.vocabulary import ROLE_RANK, ROLES, TOPICS

__all__ = ["TeamDesk"]

MAX_SESSIONS_LIMIT = 10


class TeamDesk:
    """What volunteers and leaders do about themselves and their team."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def whoami(self, turn: Turn, person: PersonRow) -> list[Reply]:
        lines = [self.t("whoami", handle=person.handle, role=ROLES[person.role])]
        if person.role != "citizen":
            team = await turn.teams.get(person.team_id) if person.team_id else None
            if team is not None:
                lines.append(self.t("whoami_team", team=team.name))
            profile = await turn.people.profile(person.id)
            communes = [self._commune_label(c) for c in await turn.people.communes(person.id)]
            skills = [TOPICS[s] for s in profile.skills if s in TOPICS]
            lines.append(
                self.t(
                    "whoami_volunteer",
                    duty=self.t("duty_on" if profile.on_duty else "duty_off"),
                    communes=", ".join(communes) or self.t("none_yet"),
                    skills=", ".join(skills) or self.t("all_skills"),
                    limit=profile.max_sessions,
                )
            )
        return [Reply("\n".join(lines))]

    def _commune_label(self, code: str) -> str:
        commune = self.kit.places.commune(code)
        return commune.label if commune else code

    async def join(
        self,
        turn: Turn,
        person: PersonRow,
        code: str,
        state: ConversationState,
        chat: tuple[str, str],
    ) -> list[Reply]:
        """Join a team with an invite code (single or limited use, expires).

        `chat` is (channel, chat id): wrong codes are limited per person and per chat.
        """
        if not code:
            return [Reply(self.t("join_usage"))]
        subjects = CODE_GUESSES.subjects(person.id, *chat)
        wait = await CODE_GUESSES.locked_for(turn, "invite", subjects)
        if wait is not None:
            await turn.audit.record("invite_rejected", turn.now, person.id, reason="locked")
            return [Reply(self.t("code_locked", minutes=wait))]
        invite = await turn.teams.invite(code)
        if invite is None:
            await CODE_GUESSES.failed(turn, "invite", subjects, person.id, "unknown")
            return [Reply(self.t("invite_unknown"))]
        team = await turn.teams.get(invite.team_id)
        if team is None:  # pragma: no cover - the foreign key cascades
            return [Reply(self.t("invite_unknown"))]
        if person.team_id == team.id and person.role != "citizen":
            return [Reply(self.t("join_already", team=team.name))]
        if not await turn.teams.use_invite(invite, turn.now):
            reason = "expired" if invite.expires_at <= turn.now else "used_up"
            if invite.revoked_at is not None:
                reason = "revoked"
            await turn.audit.record(
                "invite_rejected", turn.now, person.id, invite.code, reason=reason
            )
            return [Reply(self.t("invite_expired" if reason == "expired" else "invite_used_up"))]
        old_role = person.role
        await turn.people.raise_role(person, "volunteer")
        person.team_id = team.id
        await turn.people.profile(person.id)
        communes = set(await turn.people.communes(person.id)) | {team.commune_code}
        await turn.people.set_communes(person.id, communes)
        await turn.audit.record("invite_used", turn.now, person.id, invite.code, team=team.id)
        if old_role != person.role:
            await turn.audit.record(
                "role_change", turn.now, person.id, person.handle, old=old_role, new=person.role
            )
        duty = command_button(self.t("duty_on_button"), "truc", "bat")
        return [Reply(self.t("joined", team=team.name, handle=person.handle), (duty,))]

    async def duty(self, turn: Turn, person: PersonRow, arg: str) -> list[Reply]:
        profile = await turn.people.profile(person.id)
        wanted = {"bat": True, "on": True, "tat": False, "off": False}.get(fold(arg))
        if arg and wanted is None:  # "/truc maybe" once switched duty off without a word
            return [Reply(self.t("duty_usage"))]
        profile.on_duty = (not profile.on_duty) if wanted is None else wanted
        if profile.on_duty:
            if not await turn.people.communes(person.id):
                profile.on_duty = False
                return [Reply(self.t("duty_needs_commune"))]
            waiting = await turn.requests.queue(await turn.people.communes(person.id))
            text = self.t("duty_now_on", waiting=len(waiting))
            buttons = [command_button(self.t("duty_off_button"), "truc", "tat")]
            if waiting:
                buttons.insert(0, command_button(self.t("queue_button"), "hangdoi"))
            return [Reply(text, tuple(buttons))]
        return [
            Reply(
                self.t("duty_now_off"), (command_button(self.t("duty_on_button"), "truc", "bat"),)
            )
        ]

    async def skills(self, turn: Turn, person: PersonRow, arg: str) -> list[Reply]:
        """Show skills as toggles; `/kynang vneid` switches one on or off."""
        profile = await turn.people.profile(person.id)
        skills = list(profile.skills)
        if arg:
            if arg not in TOPICS or arg == "other":
                return [Reply(self.t("skills_unknown"))]
            skills = toggled(skills, arg)
            profile.skills = skills
        buttons = tuple(
            command_button(("☑ " if code in skills else "☐ ") + title, "kynang", code)
            for code, title in TOPICS.items()
            if code != "other"
        )
        key = "skills_list" if skills else "skills_none"
        return [Reply(self.t(key), buttons)]

    async def max_sessions(self, turn: Turn, person: PersonRow, arg: str) -> list[Reply]:
        limit = typed_number(arg)
        if limit is None or not 1 <= limit <= MAX_SESSIONS_LIMIT:
            return [Reply(self.t("max_sessions_usage", limit=MAX_SESSIONS_LIMIT))]
        profile = await turn.people.profile(person.id)
        profile.max_sessions = limit
        return [Reply(self.t("max_sessions_set", limit=profile.max_sessions))]

    async def communes(self, turn: Turn, person: PersonRow, arg: str) -> list[Reply]:
        """List communes served; `/xa <name or code>` adds one, `/xa bo <code>` removes it."""
        current = await turn.people.communes(person.id)
        words = arg.split(maxsplit=1)
        if words and words[0].lower() == "bo" and len(words) == 2:
            await turn.people.set_communes(
                person.id, [c for c in current if c != words[1].strip()]
            )
            return await self.communes(turn, person, "")
        if arg:
            commune = self.kit.places.commune(arg.strip())
            if commune is None:
                match = self.kit.places.search(arg)
                if match.status == "found":
                    commune = match.candidates[0]
                elif match.status == "ambiguous":
                    buttons = tuple(
                        command_button(c.label, "xa", c.code) for c in match.candidates
                    )
                    return [Reply(self.t("commune_which"), buttons)]
                else:
                    return [Reply(self.t("commune_unknown"))]
            if commune.code not in current and not await self._may_add(turn, person, commune.code):
                # Least privilege: a volunteer serves the communes of their team; serving
                # another is the team leader's or an operator's decision.
                await turn.audit.record(
                    "commune_refused", turn.now, person.id, commune.code, role=person.role
                )
                return [Reply(self.t("commune_not_yours", commune=commune.label))]
            await turn.people.set_communes(person.id, [*current, commune.code])
            await turn.audit.record("commune_added", turn.now, person.id, commune.code)
            return await self.communes(turn, person, "")
        labels = [self._commune_label(c) for c in current]
        buttons = tuple(
            command_button("✖ " + self._commune_label(c), "xa", "bo", c) for c in current
        )
        text = self.t(
            "communes_list", communes="\n".join(f"• {x}" for x in labels) or self.t("none_yet")
        )
        return [Reply(text, buttons)]

    async def _may_add(self, turn: Turn, person: PersonRow, commune_code: str) -> bool:
        """Leaders and operators choose their communes; a volunteer only their team's."""
        if ROLE_RANK[person.role] >= ROLE_RANK["leader"]:
            return True
        team = await turn.teams.get(person.team_id) if person.team_id else None
        return team is not None and team.commune_code == commune_code

    async def queue(self, turn: Turn, person: PersonRow) -> list[Reply]:
        """Requests waiting in the volunteer's communes, with claim buttons."""
        communes = await turn.people.communes(person.id)
        if person.team_id:
            team = await turn.teams.get(person.team_id)
            if team is not None:
                communes = [*communes, team.commune_code]
        waiting = await turn.requests.queue(communes)
        if not waiting:
            return [Reply(self.t("queue_empty"))]
        replies = [Reply(self.t("queue_head", count=len(waiting)))]
        for request in waiting:
            button = Button(self.t("claim_button"), payloads.encode("claim", request.ref))
            replies.append(Reply(self.kit.describe(request, with_phone=False), (button,)))
        return replies

    async def sessions(
        self, turn: Turn, person: PersonRow, arg: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        """List the volunteer's active sessions; `/phien REF` chooses where messages go."""
        active = await turn.requests.active_for_volunteer(person.id)
        if arg:
            chosen = next((r for r in active if same_ref(r.ref, arg)), None)
            if chosen is None:
                return [Reply(self.t("session_not_yours"))], state
            text = self.t("session_focus", ref=show_ref(chosen.ref), name=chosen.pseudonym)
            return [Reply(text)], replace(state, focus=chosen.ref)
        if not active:
            return [Reply(self.t("sessions_none"))], state
        buttons = tuple(
            command_button(f"{show_ref(r.ref)} · {r.pseudonym}", "phien", r.ref) for r in active
        )
        return [Reply(self.t("sessions_list", count=len(active)), buttons)], state

    # --- leaders and operators ----------------------------------------------------------

    async def invite(self, turn: Turn, leader: PersonRow, arg: str) -> list[Reply]:
        """A team leader creates an invite code: `/moi [uses] [days]`."""
        team = await turn.teams.get(leader.team_id) if leader.team_id else None
        if team is None:
            return [Reply(self.t("invite_no_team"))]
        words = arg.split()
        # Every argument must be a plain number: "/moi -1 -5" or "/moi nam" is refused with
        # the usage line, never read as the defaults.
        numbers = [n for n in map(typed_number, words) if n is not None]
        if len(words) > 2 or len(numbers) != len(words):
            return [Reply(self.t("invite_usage", max_uses=self.kit.config.max_invite_uses))]
        uses = numbers[0] if numbers else 1
        days = numbers[1] if len(numbers) > 1 else self.kit.config.invite_days
        invite = await create_invite(turn, leader, team, uses, days, self.kit.config)
        if invite is None:
            return [Reply(self.t("invite_usage", max_uses=self.kit.config.max_invite_uses))]
        return [
            Reply(self.t("invite_created", code=invite.code, uses=uses, days=days, team=team.name))
        ]

    async def assign_commune(self, turn: Turn, actor: PersonRow, arg: str) -> list[Reply]:
        """`/giaoxa MÃ xã` (or `/giaoxa MÃ bo MÃ_XÃ`): a volunteer serves one more commune.

        Least privilege: a volunteer cannot choose (`/xa` refuses), their team leader can, for
        a volunteer of their own team and a commune of the team's province; an operator can
        for anyone. Every change and every refusal is audited; the volunteer is told.
        """
        words = arg.split(maxsplit=2)
        if len(words) < 2:
            return [Reply(self.t("assign_usage"))]
        person = await turn.people.by_handle(words[0][:20])
        if person is None or person.role != "volunteer":
            return [Reply(self.t("assign_not_volunteer", handle=words[0][:20]))]
        team = await turn.teams.get(actor.team_id) if actor.team_id else None
        is_operator = actor.role == "operator"
        if not is_operator and (team is None or person.team_id != team.id):
            await turn.audit.record(
                "commune_assign_refused", turn.now, actor.id, person.handle, reason="team"
            )
            return [Reply(self.t("assign_not_your_team", handle=person.handle))]
        current = await turn.people.communes(person.id)
        if words[1].lower() == "bo" and len(words) == 3:
            code = words[2].strip()
            if code not in current:
                return [Reply(self.t("assign_usage"))]
            await turn.people.set_communes(person.id, [c for c in current if c != code])
            await turn.audit.record(
                "commune_unassigned", turn.now, actor.id, person.handle, commune=code
            )
            return [Reply(self.t("commune_unassigned", handle=person.handle, code=code))]
        wanted = arg.split(maxsplit=1)[1].strip()
        commune = self.kit.places.commune(wanted)
        if commune is None:
            match = self.kit.places.search(wanted)
            if match.status == "ambiguous":
                buttons = tuple(
                    command_button(c.label, "giaoxa", f"{person.handle} {c.code}")
                    for c in match.candidates
                )
                return [Reply(self.t("commune_which"), buttons)]
            if match.status != "found":
                return [Reply(self.t("commune_unknown"))]
            commune = match.candidates[0]
        if not is_operator and team is not None and commune.province_code != team.province_code:
            await turn.audit.record(
                "commune_assign_refused",
                turn.now,
                actor.id,
                person.handle,
                reason="province",
                commune=commune.code,
            )
            return [Reply(self.t("assign_other_province", commune=commune.label))]
        if commune.code not in current:
            await turn.people.set_communes(person.id, [*current, commune.code])
            await turn.audit.record(
                "commune_assigned", turn.now, actor.id, person.handle, commune=commune.code
            )
            notice = Reply(self.t("commune_assigned_notice", commune=commune.label))
            await turn.notify_person(person.id, notice)
        return [Reply(self.t("commune_assigned", handle=person.handle, commune=commune.label))]

    async def make_leader(self, turn: Turn, operator: PersonRow, arg: str) -> list[Reply]:
        """An operator makes someone team leader of a commune: `/totruong HANDLE commune`."""
        words = arg.split(maxsplit=1)
        if len(words) < 2:
            return [Reply(self.t("make_leader_usage"))]
        person = await turn.people.by_handle(words[0])
        if person is None:
            return [Reply(self.t("transfer_unknown", handle=words[0][:20]))]
        commune = self.kit.places.commune(words[1].strip())
        if commune is None:
            match = self.kit.places.search(words[1])
            if match.status != "found":
                labels = "\n".join(f"• {c.label} ({c.code})" for c in match.candidates)
                return [Reply(self.t("make_leader_which_commune", candidates=labels or "—"))]
            commune = match.candidates[0]
        team = await self._team_of(turn, commune.code, commune.province_code, commune.label)
        old = person.role
        if person.role != "operator":
            await turn.people.set_role(person, "leader")
        person.team_id = team.id
        await turn.people.profile(person.id)
        await turn.people.set_communes(
            person.id, {*await turn.people.communes(person.id), commune.code}
        )
        await turn.audit.record(
            "role_change",
            turn.now,
            operator.id,
            person.handle,
            old=old,
            new=person.role,
            team=team.id,
        )
        await turn.notify_person(person.id, Reply(self.t("you_are_leader", team=team.name)))
        return [Reply(self.t("leader_made", handle=person.handle, team=team.name))]

    async def _team_of(
        self, turn: Turn, commune_code: str, province_code: str, label: str
    ) -> TeamRow:
        teams = await turn.teams.of_commune(commune_code)
        if teams:
            return teams[0]
        name = self.t("team_default_name", place=label)
        return await turn.teams.create(name, commune_code, province_code, turn.now)

    async def revoke(self, turn: Turn, operator: PersonRow, handle: str) -> list[Reply]:
        """An operator takes volunteer or leader rights away: `/thuhoi HANDLE`."""
        person = await turn.people.by_handle(handle)
        if person is None or person.role == "operator":
            return [Reply(self.t("transfer_unknown", handle=handle))]
        old = person.role
        await turn.people.set_role(person, "citizen")
        profile = await turn.people.profile(person.id)
        profile.on_duty = False
        await turn.audit.record(
            "role_change", turn.now, operator.id, person.handle, old=old, new="citizen"
        )
        return [Reply(self.t("role_revoked", handle=person.handle))]
