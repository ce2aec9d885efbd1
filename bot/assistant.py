"""The channel-independent core with people in it: routes each message to the FAQ, a form,
a support session or a command, inside the one transaction that handles the message.

Routing order: duplicate update -> button -> command -> form in progress -> support session
(relay) -> FAQ. The FAQ stays quiet for a citizen whose session with a volunteer is active.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import payloads
from bot.dialogue import Dialogue
from bot.features.campaigns import chat as news
from bot.features.campaigns.chat import SubscriptionDesk
from bot.features.campaigns.leader_chat import LeaderCampaigns
from bot.features.fieldlogs import form as fieldlog
from bot.features.fieldlogs.form import FieldLogDesk
from bot.features.local import desk as local
from bot.features.official.desk import OfficialDesk
from bot.messages import IncomingMessage, Reply
from bot.questions import StoredQuestions
from bot.state import ConversationState
from bot.support import intake
from bot.support.commands import COMMANDS, Command, parse_command
from bot.support.common import (
    Toolkit,
    Turn,
    same_ref,
    typed_number,
)
from bot.support.intake import Intake
from bot.support.linking import LinkDesk
from bot.support.privacy import PrivacyDesk
from bot.support.sessions import COMMENT_FLOW, SERVICES_FLOW, SessionDesk
from bot.support.team import TeamDesk
from intents.normalize import fold
from storage.conversations import ConversationRepository
from storage.models import HelpRequestRow, PersonRow, TimerRow
from storage.questions import QuestionLogRepository
from storage.updates import first_delivery
from storage.vocabulary import ROLE_RANK

__all__ = ["Assistant", "LoginMaker", "ReportMaker"]

logger = logging.getLogger(__name__)
CANCEL_WORDS = frozenset({"huy", "thoi", "dung", "cancel"})

# Builds the team leader's report file for /baocao (set by the composition root).
ReportMaker = Callable[[AsyncSession, PersonRow, str, datetime], Awaitable[list[Reply]]]
# Makes the one-time web console link for /dangnhap (set by the composition root).
LoginMaker = Callable[[Turn, PersonRow], Awaitable[list[Reply]]]


@dataclass
class _BoundHandoff:
    """The Handoff port, bound to this message's transaction and sender."""

    intake: Intake
    turn: Turn
    person: PersonRow

    async def start(
        self, message: IncomingMessage, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        return await self.intake.start(self.turn, self.person, state)


class Assistant:
    """FAQ, support sessions, forms and role-checked commands, one message at a time."""

    def __init__(
        self,
        dialogue: Dialogue,
        kit: Toolkit,
        report_maker: ReportMaker | None = None,
        login_maker: LoginMaker | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.kit = kit
        self.t = kit.texts
        self.desk = SessionDesk(kit)
        self.intake = Intake(kit, self.desk)
        self.team = TeamDesk(kit)
        self.field = FieldLogDesk(kit)
        self.privacy = PrivacyDesk(kit)
        self.links = LinkDesk(kit)
        self.local = local.LocalDesk(kit)  # issue 15: commune, local details, help days
        self.news = SubscriptionDesk(kit)
        self.official = OfficialDesk(kit)
        self.campaigns = LeaderCampaigns(kit)
        self.report_maker = report_maker
        self.login_maker = login_maker

    async def handle(
        self,
        message: IncomingMessage,
        session: AsyncSession,
        store: ConversationRepository[ConversationState],
        now: datetime,
        *,
        deduplicated: bool = False,
    ) -> list[Reply]:
        """Answer one message; the caller commits `session` afterwards (all or nothing).

        A message with an id is answered once: its id is remembered, unless the caller
        already settled it once and for all (`deduplicated`: a stored webhook delivery).
        """
        key = message.key
        if (
            message.message_id
            and not deduplicated
            and not await first_delivery(session, key.channel, message.message_id, now)
        ):
            logger.info("duplicate update channel=%s id=%s", key.channel, message.message_id)
            return []
        state = await store.load(key)  # locks this conversation until commit
        turn = Turn.open(session, now)
        person = await turn.people.resolve(key.channel, key.user_id, now)
        await self._apply_configured_operator(turn, person, key.channel, key.user_id)
        replies, state = await self._route(turn, person, message, state)
        await store.save(key, state)
        return replies

    async def _apply_configured_operator(
        self, turn: Turn, person: PersonRow, channel: str, user_id: str
    ) -> None:
        if f"{channel}:{user_id}" in self.kit.config.operators and person.role != "operator":
            old = person.role
            await turn.people.set_role(person, "operator")
            await turn.audit.record(
                "role_change", turn.now, None, person.handle, old=old, new="operator", by="config"
            )

    # --- routing -------------------------------------------------------------------------

    async def _route(
        self, turn: Turn, person: PersonRow, message: IncomingMessage, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        if message.kind == "left":
            return await self._left(turn, person), ConversationState()
        in_intake = state.flow == intake.FLOW
        if message.contact_phone is not None and not (in_intake and state.step == "phone"):
            # A number shared outside the consented step is neither stored nor used.
            return [Reply(self.t("contact_not_needed"))], state
        if message.kind == "location":
            if in_intake and state.step == "commune" and message.location is not None:
                return self.intake.on_location(state, *message.location)
            return [Reply(self.t("location_not_needed"))], state
        if message.payload is not None:
            return await self._on_button(turn, person, message, state)
        text = message.text or ""
        command = parse_command(text) if message.kind == "text" else None
        if command is not None:
            return await self._on_command(turn, person, message, command, state)
        if state.flow is not None and message.kind != "other":
            return await self._on_form(turn, person, message, state, None)
        if message.kind == "text" and text.strip():
            relayed = await self._relay(turn, person, text, state)
            if relayed is not None:
                return relayed
        return await self._faq(turn, person, message, state)

    async def _faq(
        self, turn: Turn, person: PersonRow, message: IncomingMessage, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        """The FAQ's answer (or its question back), logged, with the local details it asks for."""
        handoff = _BoundHandoff(self.intake, turn, person)
        recorder = self._recorder(turn, person, message, state)
        answered = await self.dialogue.respond(message, state, handoff, recorder)
        blocks = self.dialogue.content.config.local_blocks
        return await self.local.localize(turn, person, state, answered, blocks)

    def _recorder(
        self, turn: Turn, person: PersonRow, message: IncomingMessage, state: ConversationState
    ) -> StoredQuestions:
        """The question log of this message, with the commune when the citizen gave one."""
        commune = self.kit.places.commune(state.commune_hint) if state.commune_hint else None
        return StoredQuestions(
            QuestionLogRepository(turn.session),
            turn.now,
            message.key.channel,
            person.id,
            commune.province_code if commune else None,
            commune.code if commune else None,
        )

    async def _on_button(
        self, turn: Turn, person: PersonRow, message: IncomingMessage, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        payload = payloads.parse(message.payload or "")
        if payload is None:
            return await self.dialogue.respond(message, state, None)
        key = message.key
        match payload.action:
            case "command":
                command = parse_command("/" + payload.value)
                if command is not None:
                    return await self._on_command(turn, person, message, command, state)
            case "form":
                step, _, value = payload.value.partition(":")
                if state.flow is None or state.step != step:
                    return [Reply(self.t("expired_button"))], state
                return await self._on_form(turn, person, message, state, value)
            case "claim":
                if not self._allowed(person, "volunteer"):
                    return await self._refuse(turn, person, "claim", state)
                return await self.desk.claim(
                    turn, person, key.channel, key.user_id, payload.value, state
                )
            case "outcome":
                ref, _, outcome = payload.value.partition(":")
                return await self.desk.record_outcome(turn, person, ref, outcome, state)
            case "rate":
                ref, _, stars = payload.value.partition(":")
                rating = typed_number(stars) or 0
                return await self.desk.rate(turn, person, ref, rating, state)
        return await self._faq(turn, person, message, state)

    async def _on_form(
        self,
        turn: Turn,
        person: PersonRow,
        message: IncomingMessage,
        state: ConversationState,
        choice: str | None,
    ) -> tuple[list[Reply], ConversationState]:
        if choice is None and fold(message.text or "").strip(" .!") in CANCEL_WORDS:
            return self._stop_form(state)
        match state.flow:
            case intake.FLOW:
                return await self.intake.answer(turn, person, message, state, choice)
            case fieldlog.FLOW:
                return await self.field.answer(turn, person, message, state, choice)
            case str() as flow if flow in local.FLOWS:
                blocks = self.dialogue.content.config.local_blocks
                return await self.local.answer(turn, person, message, state, choice, blocks)
            case news.FLOW:
                text, channel = message.text or "", message.key.channel
                return await self.news.answer(turn, person, channel, text, choice, state)
            case "services":
                return await self.desk.services_step(turn, person, choice, state)
            case "comment":
                return await self.desk.comment_step(
                    turn, person, message.text or "", choice, state
                )
        # A form this version does not know: forget it and answer normally.
        return await self._route(turn, person, message, replace(state, flow=None, step=None))

    def _stop_form(self, state: ConversationState) -> tuple[list[Reply], ConversationState]:
        key = "rating_done" if state.flow in (COMMENT_FLOW, SERVICES_FLOW) else "form_stopped"
        return [Reply(self.t(key))], replace(state, flow=None, step=None, form={})

    async def _relay(
        self, turn: Turn, person: PersonRow, text: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState] | None:
        """Carry a message across an active session; None when there is none."""
        if turn.people.open_request.get(person.id, True):  # else known to have none
            own = await turn.requests.open_for_citizen(person.id)
            if own is not None and own.status == "active":
                return await self.desk.relay_from_citizen(turn, own, text), state
        if person.role == "citizen":
            return None
        active = await turn.requests.active_for_volunteer(person.id)
        if not active:
            return None
        focused = self._focused(active, state, "")
        if focused is None:
            return await self.team.sessions(turn, person, "", state)
        replies = await self.desk.relay_from_volunteer(turn, person, focused, text)
        return replies, replace(state, focus=focused.ref)

    @staticmethod
    def _focused(
        active: list[HelpRequestRow], state: ConversationState, ref: str
    ) -> HelpRequestRow | None:
        """The session a volunteer means: named, focused earlier, or the only one."""
        if ref:
            return next((r for r in active if same_ref(r.ref, ref)), None)
        focused = next((r for r in active if r.ref == state.focus), None)
        if focused is not None:
            return focused
        return active[0] if len(active) == 1 else None

    # --- commands ------------------------------------------------------------------------

    @staticmethod
    def _allowed(person: PersonRow, role: str) -> bool:
        return ROLE_RANK[person.role] >= ROLE_RANK[role]

    async def _refuse(
        self, turn: Turn, person: PersonRow, command: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        await turn.audit.record("denied", turn.now, person.id, person.handle, command=command)
        logger.info("refused command=%s role=%s", command, person.role)
        return [Reply(self.t("not_allowed"))], state

    async def _on_command(
        self,
        turn: Turn,
        person: PersonRow,
        message: IncomingMessage,
        command: Command,
        state: ConversationState,
    ) -> tuple[list[Reply], ConversationState]:
        needed = COMMANDS.get(command.name)
        if needed is None:
            return [Reply(self.t("unknown_command", command=command.name[:30]))], state
        if not self._allowed(person, needed):
            return await self._refuse(turn, person, command.name, state)
        arg = command.arg
        chat = (message.key.channel, message.key.user_id)
        # Commands interrupt any form in progress.
        cleared = replace(state, flow=None, step=None, form={})
        match command.name:
            case "start":
                # A commune poster, t.me/<bot>?start=xa<digits>; an invite code may start XA.
                if arg[:2].lower() == "xa" and arg[2:].lstrip("_-").isdecimal():
                    commune = self.kit.places.commune(arg[2:].lstrip("_-"))
                    hint = commune.code if commune is not None else cleared.commune_hint
                    await self.local.learn(turn, person, hint)
                    return [self.dialogue.welcome()], replace(cleared, commune_hint=hint)
                if arg and len(arg) >= 6:
                    return await self.team.join(turn, person, arg, state, chat), cleared
                return [self.dialogue.welcome()], cleared
            case "menu":
                return [self.dialogue.menu()], cleared
            case "trogiup":
                return [self._help(person)], state
            case "toi":
                return await self.team.whoami(turn, person), state
            case "dulieu":
                return await self.privacy.show(turn, person), state
            case "xoadulieu":
                confirmed = arg == "xacnhan"
                if confirmed:
                    own = await turn.requests.open_for_citizen(person.id)
                    if own is not None:
                        await self.desk.cancel(turn, person, own)
                return await self.privacy.delete(turn, person, confirmed), (
                    ConversationState() if confirmed else state
                )
            case "huy":
                return await self._cancel(turn, person, state)
            case "nhantin":
                return await self.news.subscribe(turn, person, message.key.channel, arg, cleared)
            case "tatnhantin":
                return await self.news.unsubscribe(turn, person), state
            case "guitin":
                return await self.campaigns.handle(turn, person, arg), state
            case "gui":
                active = await turn.requests.active_for_volunteer(person.id)
                focused = self._focused(active, state, "")
                if focused is None and len(active) > 1:
                    return await self.team.sessions(turn, person, "", state)
                replies = await self.official.handle(turn, person, focused, arg, self.dialogue)
                return replies, state
            case "ketthuc":
                return await self._end(turn, person, arg, state)
            case "gapnguoi":
                started = await self.intake.start(turn, person, cleared)
                blocks = self.dialogue.content.config.local_blocks
                return await self.local.localize(turn, person, cleared, started, blocks)
            case "goilai":
                request = await turn.requests.by_ref(arg) if arg else None
                if request is None:
                    return [Reply(self.t("request_not_found", ref=arg[:20]))], state
                return await self.desk.reopen_for_callback(turn, person, request), state
            case "thamgia":
                return await self.team.join(turn, person, arg, state, chat), cleared
            case "lienket":
                return await self.links.handle(turn, person, message, arg), state
            case "truc":
                return await self.team.duty(turn, person, arg), state
            case "kynang":
                return await self.team.skills(turn, person, arg), state
            case "xa" if person.role == "citizen":  # their own commune; others: served ones
                return await self.local.command(turn, person, "xa", arg, state)
            case "xa":
                return await self.team.communes(turn, person, arg), state
            case name if name in local.COMMANDS:
                return await self.local.command(turn, person, name, arg, state)
            case "toida":
                return await self.team.max_sessions(turn, person, arg), state
            case "hangdoi":
                return await self.team.queue(turn, person), state
            case "nhan":
                if not arg:
                    return await self.team.queue(turn, person), state
                key = message.key
                return await self.desk.claim(turn, person, key.channel, key.user_id, arg, state)
            case "tra" | "chuyen":
                return await self._hand_over(turn, person, command, state)
            case "phien":
                return await self.team.sessions(turn, person, arg, state)
            case "ghinhan":
                return await self.field.start(turn, person, cleared)
            case "moi":
                return await self.team.invite(turn, person, arg), state
            case "baocao":
                if self.report_maker is None:
                    return [Reply(self.t("report_unavailable"))], state
                replies = await self.report_maker(turn.session, person, arg, turn.now)
                if any(reply.attachment for reply in replies):
                    await turn.audit.record("export", turn.now, person.id, "report", arg=arg[:60])
                return replies, state
            case "dangnhap":
                if self.login_maker is None:
                    return [Reply(self.t("console_unavailable"))], state
                return await self.login_maker(turn, person), state
            case "giaoxa":
                return await self.team.assign_commune(turn, person, arg), state
            case "totruong":
                return await self.team.make_leader(turn, person, arg), state
            case "thuhoi":
                return await self.team.revoke(turn, person, arg), state
        return [
            Reply(self.t("unknown_command", command=command.name[:30]))
        ], state  # pragma: no cover

    def _help(self, person: PersonRow) -> Reply:
        keys = ["help_citizen"]
        if self._allowed(person, "volunteer"):
            keys.append("help_volunteer")
        if self._allowed(person, "leader"):
            keys.append("help_leader")
        if self._allowed(person, "operator"):
            keys.append("help_operator")
        return Reply("\n\n".join(self.t(k) for k in keys))

    async def _left(self, turn: Turn, person: PersonRow) -> list[Reply]:
        """The person unfollowed or blocked the bot: stop what waits on them, say nothing."""
        own = await turn.requests.open_for_citizen(person.id)
        if own is not None:
            await self.desk.cancel(turn, person, own)
        if person.role != "citizen":
            for request in await turn.requests.active_for_volunteer(person.id):
                await self.desk.release(turn, person, request)
            profile = await turn.people.profile(person.id)
            profile.on_duty = False
        await turn.audit.record("left_channel", turn.now, person.id, person.handle)
        return []

    async def _cancel(
        self, turn: Turn, person: PersonRow, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        if state.flow is not None:
            return self._stop_form(state)
        own = await turn.requests.open_for_citizen(person.id)
        if own is None:
            return [Reply(self.t("nothing_to_cancel"))], state
        return await self.desk.cancel(turn, person, own), state

    async def _end(
        self, turn: Turn, person: PersonRow, arg: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        if person.role != "citizen":
            active = await turn.requests.active_for_volunteer(person.id)
            focused = self._focused(active, state, arg)
            if focused is not None:
                replies = await self.desk.end(turn, person, focused, by="volunteer")
                return replies, replace(state, focus=None)
            if len(active) > 1:
                return await self.team.sessions(turn, person, "", state)
        own = await turn.requests.open_for_citizen(person.id)
        if own is not None and own.status == "active":
            return await self.desk.end(turn, person, own, by="citizen"), state
        return [Reply(self.t("no_session"))], state

    async def _hand_over(
        self, turn: Turn, person: PersonRow, command: Command, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        words = command.arg.split()
        active = await turn.requests.active_for_volunteer(person.id)
        if command.name == "tra":
            focused = self._focused(active, state, words[0] if words else "")
            if focused is None:
                return [Reply(self.t("no_session"))], state
            return await self.desk.release(turn, person, focused), replace(state, focus=None)
        if not words:
            return [Reply(self.t("transfer_usage"))], state
        focused = self._focused(active, state, words[1] if len(words) > 1 else "")
        if focused is None:
            return [Reply(self.t("no_session"))], state
        return await self.desk.transfer(turn, person, focused, words[0]), state

    # --- timers --------------------------------------------------------------------------

    async def run_timer(self, session: AsyncSession, timer_id: int, now: datetime) -> None:
        """Run one due timer inside the caller's transaction."""
        turn = Turn.open(session, now)
        # Locked: two workers that both saw the timer due run it once.
        timer = await session.get(TimerRow, timer_id, with_for_update=True)
        if timer is None or timer.done_at is not None:
            return
        await turn.timers.done(timer, now)
        await self.desk.run_timer(turn, timer)
