"""Support sessions after the intake: notify, claim, relay, end, outcome, rating, timers.

Every state change writes a `request_events` row in the same transaction, and every message
to someone other than the current sender goes through the stored outbox, so a crash between
"claimed" and "citizen told" cannot happen.

Over 500 lines on purpose: it is the one life cycle of a request (open, claim, relay, end,
rate, hand back, timers), read top to bottom; the timers and texts of each step sit together.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Literal

from bot import payloads
from bot.messages import Button, Reply
from bot.state import ConversationState
from bot.support.common import (
    Toolkit,
    Turn,
    checkbox_buttons,
    command_button,
    form_button,
    show_ref,
    toggled,
)
from storage.masking import mask
from storage.models import HelpRequestRow, PersonRow, TimerRow
from storage.vocabulary import OUTCOMES, ROLE_RANK, SERVICES

Escalated = Literal["leaders", "operators", "nobody"]
# Relayed text is stored in a 4,096-character column; masking can make a text longer.
MAX_RELAY_CHARS = 4000

__all__ = ["COMMENT_FLOW", "SERVICES_FLOW", "SessionDesk"]

SERVICES_FLOW = "services"
COMMENT_FLOW = "comment"
PSEUDONYMS = (
    "Hoa Sen", "Hoa Mai", "Hoa Đào", "Hoa Cúc", "Hoa Lan", "Hoa Súng", "Cây Tre", "Cây Lúa",
    "Cây Cau", "Cây Dừa", "Cây Bàng", "Cây Đa", "Sông Hồng", "Sông Lam", "Núi Ngự", "Đồi Chè",
)  # fmt: skip
WAITING_TIMERS = ("escalate", "giveup")


def claim_tag(ref: str) -> str:
    """The outbox tag of every claim notice of one request (to edit them all later)."""
    return f"claim:{ref}"


class SessionDesk:
    """The life of a help request once the citizen has finished the intake."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    # --- opening and notifying ---------------------------------------------------------

    async def open_request(
        self,
        turn: Turn,
        citizen: PersonRow,
        *,
        topic: str,
        commune_code: str,
        description: str,
        mode: str,
        phone: str | None,
    ) -> list[Reply]:
        """Store the request, tell the volunteers on duty, and give the citizen a code."""
        commune = self.kit.places.commune(commune_code)
        where = await turn.people.reach(citizen.id)
        if commune is None or where is None:  # pragma: no cover - the intake checked both
            raise ValueError("unknown commune or unreachable citizen")
        teams = await turn.teams.of_commune(commune_code)
        # Two requests of one commune waiting at once never share a pseudonym.
        taken = await turn.requests.pseudonyms_in_use(commune_code)
        free = [name for name in PSEUDONYMS if name not in taken]
        pseudonym = secrets.choice(free) if free else f"{secrets.choice(PSEUDONYMS)} {len(taken)}"
        request = await turn.requests.add(
            HelpRequestRow(
                ref=await turn.requests.new_ref(),
                citizen_id=citizen.id,
                citizen_channel=where.channel,
                citizen_external_id=where.external_id,
                pseudonym=pseudonym,
                team_id=teams[0].id if teams else None,
                topic=topic,
                commune_code=commune_code,
                province_code=commune.province_code,
                description=description,
                mode=mode,
                phone=phone,
                status="open",
                services=[],
                created_at=turn.now,
                last_activity_at=turn.now,
            )
        )
        await turn.requests.event(request, "created", turn.now, citizen.id)
        notified = await self.notify_volunteers(turn, request)
        ref = show_ref(request.ref)
        cancel = command_button(self.t("cancel_request_button"), "huy")
        if notified:
            await self._schedule_waiting(turn, request)
            return [Reply(self.t("request_opened", ref=ref), (cancel,))]
        # Nobody on duty: ask the team leader (or a coordinator) at once, and tell the citizen
        # exactly who was told.
        told = await self.escalate(turn, request)
        await turn.timers.schedule("giveup", turn.now + self.kit.config.giveup_timeout, request.id)
        key = {
            "leaders": "request_opened_nobody_on_duty",
            "operators": "request_opened_no_team",
            "nobody": "request_opened_nobody",
        }[told]
        return [Reply(self.t(key, ref=ref), (cancel,))]

    async def _schedule_waiting(self, turn: Turn, request: HelpRequestRow) -> None:
        """The timers of a request waiting for a volunteer: escalate, then give up."""
        config = self.kit.config
        await turn.timers.schedule("escalate", turn.now + config.claim_timeout, request.id)
        await turn.timers.schedule("giveup", turn.now + config.giveup_timeout, request.id)

    def _claim_notice(self, request: HelpRequestRow, key: str = "claim_notice") -> Reply:
        text = self.t(key) + "\n" + self.kit.describe(request, with_phone=False)
        button = Button(self.t("claim_button"), payloads.encode("claim", request.ref))
        return Reply(text, (button,))

    async def notify_volunteers(
        self, turn: Turn, request: HelpRequestRow, exclude: frozenset[int] = frozenset()
    ) -> int:
        """Send a claim button to every volunteer who can take the request now."""
        candidates = await turn.people.candidates(request.commune_code, request.topic)
        count = 0
        for candidate in candidates:
            if candidate.person.id in exclude:
                continue
            await turn.notify(
                candidate.channel,
                candidate.external_id,
                self._claim_notice(request),
                tag=claim_tag(request.ref),
            )
            count += 1
        await turn.requests.event(request, "notified", turn.now, count=count)
        return count

    async def escalate(self, turn: Turn, request: HelpRequestRow) -> Escalated:
        """Nobody claimed in time: tell the commune's team leaders (or the operators).

        Returns who was told, so that what the citizen reads is true.
        """
        leaders: list[PersonRow] = []
        for team in await turn.teams.of_commune(request.commune_code):
            leaders.extend(await turn.people.leaders_of(team.id))
        told: Escalated = "leaders"
        if not leaders:
            leaders = await turn.people.operators()
            told = "operators" if leaders else "nobody"
        for leader in leaders:
            await turn.notify_person(
                leader.id,
                self._claim_notice(request, "escalation_notice"),
                tag=claim_tag(request.ref),
            )
        await turn.requests.event(request, "escalated", turn.now, leaders=len(leaders))
        return told

    # --- claiming ----------------------------------------------------------------------

    async def may_serve(self, turn: Turn, person: PersonRow, request: HelpRequestRow) -> bool:
        """Volunteers of the commune, its team leaders, and operators may take a request."""
        if person.role == "operator":
            return True
        if ROLE_RANK[person.role] < ROLE_RANK["volunteer"]:
            return False
        if request.commune_code in await turn.people.communes(person.id):
            return True
        team = await turn.teams.get(person.team_id) if person.team_id else None
        return team is not None and team.commune_code == request.commune_code

    async def claim(
        self,
        turn: Turn,
        volunteer: PersonRow,
        channel: str,
        external_id: str,
        ref: str,
        state: ConversationState,
    ) -> tuple[list[Reply], ConversationState]:
        request = await turn.requests.by_ref(ref)
        if request is None:
            return [Reply(self.t("request_not_found", ref=ref[:20]))], state
        if not await self.may_serve(turn, volunteer, request):
            await turn.audit.record("denied", turn.now, volunteer.id, request.ref, command="claim")
            return [Reply(self.t("claim_not_your_commune"))], state
        if request.status != "open":
            key = "claim_already_taken" if request.status == "active" else "claim_closed"
            return [Reply(self.t(key, ref=show_ref(request.ref)))], state
        profile = await turn.people.profile(volunteer.id)
        if await turn.people.active_sessions(volunteer.id) >= profile.max_sessions:
            return [Reply(self.t("claim_too_many", limit=profile.max_sessions))], state
        if not await turn.requests.claim(request, volunteer.id, channel, external_id):
            return [Reply(self.t("claim_already_taken", ref=show_ref(request.ref)))], state
        request.last_activity_at = turn.now
        await turn.requests.event(request, "claimed", turn.now, volunteer.id)
        await turn.timers.cancel(request.id, WAITING_TIMERS, turn.now)
        await turn.timers.schedule("idle", turn.now + self.kit.config.idle_timeout, request.id)
        await self._settle_notices(turn, request, "claim_taken_notice", keep=external_id)
        await self._tell_citizen(
            turn,
            request,
            Reply(
                self.t("citizen_claimed", ref=show_ref(request.ref), name=self._name(volunteer))
            ),
        )
        return [self._session_card(request)], replace(state, focus=request.ref)

    def _session_card(self, request: HelpRequestRow) -> Reply:
        text = self.t("claim_won") + "\n" + self.kit.describe(request, with_phone=True)
        buttons = (
            command_button(self.t("end_button"), "ketthuc", request.ref),
            command_button(self.t("release_button"), "tra", request.ref),
        )
        return Reply(text, buttons)

    async def _settle_notices(
        self, turn: Turn, request: HelpRequestRow, key: str, keep: str | None = None
    ) -> None:
        """Turn every claim notice of a request into a plain line: taken, cancelled..."""
        for row in await turn.outbox.tagged(claim_tag(request.ref)):
            if row.external_id == keep:
                continue
            if row.status == "pending":  # never sent: no need to send it at all
                row.status = "superseded"
                continue
            text = self.t(key, ref=show_ref(request.ref))
            await turn.notify(row.channel, row.external_id, Reply(text), edit_of=row.id)

    # --- relay -------------------------------------------------------------------------

    async def relay_from_citizen(
        self, turn: Turn, request: HelpRequestRow, text: str
    ) -> list[Reply]:
        masked = mask(text, limit=MAX_RELAY_CHARS)
        await turn.requests.relay(request, "citizen", masked.text, turn.now)
        if request.volunteer_channel and request.volunteer_external_id:
            line = self.t(
                "relay_to_volunteer",
                name=request.pseudonym,
                ref=show_ref(request.ref),
                text=masked.text,
            )
            await turn.notify(
                request.volunteer_channel, request.volunteer_external_id, Reply(line)
            )
        return [Reply(self.t("secret_warning_short"))] if masked.secret else []

    async def relay_from_volunteer(
        self, turn: Turn, volunteer: PersonRow, request: HelpRequestRow, text: str
    ) -> list[Reply]:
        masked = mask(text, limit=MAX_RELAY_CHARS)
        await turn.requests.relay(request, "volunteer", masked.text, turn.now)
        line = self.t("relay_to_citizen", name=self._name(volunteer), text=masked.text)
        await self._tell_citizen(turn, request, Reply(line), sender_id=volunteer.id)
        return []

    # --- ending ------------------------------------------------------------------------

    async def end(
        self, turn: Turn, actor: PersonRow, request: HelpRequestRow, by: str
    ) -> list[Reply]:
        """Close an active session; the volunteer records the outcome, the citizen rates."""
        await self._close(turn, request, "ended", actor.id, by=by)
        ref = show_ref(request.ref)
        outcome = self._outcome_prompt(request)
        rating = self._rating_prompt(request)
        if by == "citizen":
            await self._tell_volunteer(
                turn, request, outcome, prefix=self.t("ended_by_citizen", ref=ref)
            )
            return [rating]
        await self._tell_citizen(turn, request, rating)
        return [outcome]

    async def _close(
        self, turn: Turn, request: HelpRequestRow, kind: str, actor_id: int | None, **detail: str
    ) -> None:
        request.status = "closed"
        request.last_activity_at = turn.now
        await turn.requests.event(request, kind, turn.now, actor_id, **detail)
        await turn.timers.cancel(request.id, ("idle", *WAITING_TIMERS), turn.now)

    def _outcome_prompt(self, request: HelpRequestRow) -> Reply:
        buttons = tuple(
            Button(title, payloads.encode("outcome", f"{request.ref}:{code}"))
            for code, title in OUTCOMES.items()
        )
        return Reply(self.t("outcome_prompt", ref=show_ref(request.ref)), buttons)

    def _rating_prompt(self, request: HelpRequestRow) -> Reply:
        buttons = tuple(
            Button("⭐" * n, payloads.encode("rate", f"{request.ref}:{n}"))
            for n in range(1, 6)  # typing "5" on a numbered channel means five stars
        )
        return Reply(self.t("rating_prompt", ref=show_ref(request.ref)), buttons)

    async def record_outcome(
        self,
        turn: Turn,
        person: PersonRow,
        ref: str,
        outcome: str,
        state: ConversationState,
    ) -> tuple[list[Reply], ConversationState]:
        request = await turn.requests.by_ref(ref)
        if request is None or outcome not in OUTCOMES:
            return [Reply(self.t("expired_button"))], state
        if request.volunteer_id != person.id and person.role != "operator":
            await turn.audit.record("denied", turn.now, person.id, request.ref, command="outcome")
            return [Reply(self.t("not_your_session"))], state
        if request.status != "closed":
            return [Reply(self.t("outcome_session_still_open"))], state
        request.outcome = outcome
        await turn.requests.event(request, "outcome", turn.now, person.id, outcome=outcome)
        state = replace(
            state, flow=SERVICES_FLOW, step="services", form={"ref": request.ref, "selected": []}
        )
        return [self._services_prompt([])], state

    def _services_prompt(self, selected: list[str]) -> Reply:
        buttons = checkbox_buttons("services", SERVICES.items(), selected)
        buttons.append(form_button(self.t("done_button"), "services", "done"))
        return Reply(self.t("services_prompt"), tuple(buttons))

    async def services_step(
        self, turn: Turn, person: PersonRow, choice: str | None, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        """Toggle services helped with; "done" stores them on the request."""
        selected = [str(s) for s in state.form.get("selected", [])]
        if choice in SERVICES:
            selected = toggled(selected, choice)
            form = {**state.form, "selected": selected}
            return [self._services_prompt(selected)], replace(state, form=form)
        if choice == "done":
            request = await turn.requests.by_ref(str(state.form.get("ref", "")))
            if request is not None and request.volunteer_id == person.id:
                request.services = selected
            done = replace(state, flow=None, step=None, form={})
            return [Reply(self.t("outcome_saved"))], done
        return [self._services_prompt(selected)], state

    async def rate(
        self, turn: Turn, person: PersonRow, ref: str, rating: int, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        request = await turn.requests.by_ref(ref)
        if request is None or request.citizen_id != person.id or not 1 <= rating <= 5:
            return [Reply(self.t("expired_button"))], state
        if request.rating is not None:
            return [Reply(self.t("rating_already"))], state
        if request.status not in ("closed",):
            return [Reply(self.t("rating_too_early"))], state
        request.rating = rating
        await turn.requests.event(request, "rated", turn.now, person.id, rating=rating)
        state = replace(state, flow=COMMENT_FLOW, step="comment", form={"ref": request.ref})
        skip = form_button(self.t("skip_button"), "comment", "skip")
        return [Reply(self.t("rating_thanks_ask_comment"), (skip,))], state

    async def comment_step(
        self,
        turn: Turn,
        person: PersonRow,
        text: str,
        choice: str | None,
        state: ConversationState,
    ) -> tuple[list[Reply], ConversationState]:
        done = replace(state, flow=None, step=None, form={})
        if choice == "skip" or not text.strip():
            return [Reply(self.t("rating_done"))], done
        request = await turn.requests.by_ref(str(state.form.get("ref", "")))
        if request is not None and request.citizen_id == person.id:
            request.rating_comment = mask(text.strip(), limit=500).text
        return [Reply(self.t("rating_done"))], done

    # --- cancelling, handing back, transferring ------------------------------------------

    async def cancel(self, turn: Turn, citizen: PersonRow, request: HelpRequestRow) -> list[Reply]:
        if request.status == "active":
            return await self.end(turn, citizen, request, by="citizen")
        request.status = "cancelled"
        await turn.requests.event(request, "cancelled", turn.now, citizen.id)
        await turn.timers.cancel(request.id, WAITING_TIMERS, turn.now)
        await self._settle_notices(turn, request, "claim_cancelled_notice")
        return [Reply(self.t("request_cancelled", ref=show_ref(request.ref)))]

    async def release(
        self, turn: Turn, volunteer: PersonRow, request: HelpRequestRow
    ) -> list[Reply]:
        """The volunteer cannot go on: the request goes back to the queue.

        It waits as a new request does: escalated after the claim timeout, given up (and the
        citizen told) after the give-up timeout, both counted from now. The claim cancelled
        both timers; without the give-up one, a request nobody took stayed open forever.
        """
        request.status = "open"
        request.volunteer_id = None
        request.volunteer_channel = None
        request.volunteer_external_id = None
        request.last_activity_at = turn.now
        await turn.requests.event(request, "released", turn.now, volunteer.id)
        await turn.timers.cancel(request.id, ("idle",), turn.now)
        await self.notify_volunteers(turn, request, exclude=frozenset({volunteer.id}))
        await self._schedule_waiting(turn, request)
        await self._tell_citizen(turn, request, Reply(self.t("citizen_released")))
        return [Reply(self.t("released", ref=show_ref(request.ref)))]

    async def transfer(
        self, turn: Turn, volunteer: PersonRow, request: HelpRequestRow, handle: str
    ) -> list[Reply]:
        target = await turn.people.by_handle(handle)
        if target is None or target.id == volunteer.id:
            return [Reply(self.t("transfer_unknown", handle=handle))]
        if not await self.may_serve(turn, target, request):
            return [Reply(self.t("transfer_not_allowed", handle=target.handle))]
        profile = await turn.people.profile(target.id)
        if await turn.people.active_sessions(target.id) >= profile.max_sessions:
            return [Reply(self.t("transfer_busy", handle=target.handle))]
        where = await turn.people.reach(target.id)
        if where is None:
            return [Reply(self.t("transfer_unknown", handle=handle))]
        request.volunteer_id = target.id
        request.volunteer_channel = where.channel
        request.volunteer_external_id = where.external_id
        request.last_activity_at = turn.now
        await turn.requests.event(request, "transferred", turn.now, volunteer.id, to=target.handle)
        intro = Reply(self.t("transfer_received"))
        await turn.notify(where.channel, where.external_id, intro)
        await turn.notify(where.channel, where.external_id, self._session_card(request))
        await self._tell_citizen(
            turn, request, Reply(self.t("citizen_transferred", name=self._name(target)))
        )
        return [Reply(self.t("transferred", ref=show_ref(request.ref), handle=target.handle))]

    async def reopen_for_callback(
        self, turn: Turn, citizen: PersonRow, request: HelpRequestRow
    ) -> list[Reply]:
        """After nobody claimed: the citizen asks to be called back later."""
        if request.citizen_id != citizen.id or request.status != "unclaimed":
            return [Reply(self.t("expired_button"))]
        if request.phone is None:
            return [
                Reply(
                    self.t("callback_needs_phone"),
                    (command_button(self.t("ask_again_button"), "gapnguoi"),),
                )
            ]
        request.status = "open"
        request.mode = "phone"
        await turn.requests.event(request, "reopened", turn.now, citizen.id)
        await self.notify_volunteers(turn, request)
        await self.escalate(turn, request)
        return [Reply(self.t("callback_queued", ref=show_ref(request.ref)))]

    # --- timers --------------------------------------------------------------------------

    async def run_timer(self, turn: Turn, timer: TimerRow) -> None:
        """Do what a due timer asks, if it still makes sense."""
        request = (
            await turn.requests.get(timer.request_id, lock=True) if timer.request_id else None
        )
        if request is None:
            return
        if timer.kind == "escalate" and request.status == "open":
            await self.escalate(turn, request)
        elif timer.kind == "giveup" and request.status == "open":
            request.status = "unclaimed"
            await turn.requests.event(request, "unclaimed", turn.now)
            await turn.timers.cancel(request.id, WAITING_TIMERS, turn.now)
            await self._settle_notices(turn, request, "claim_closed_notice")
            buttons: list[Button] = []
            if request.phone:
                buttons.append(command_button(self.t("callback_button"), "goilai", request.ref))
            buttons.append(Button(self.t("menu_button"), payloads.encode("menu")))
            await self._tell_citizen(
                turn,
                request,
                Reply(self.t("citizen_unclaimed", ref=show_ref(request.ref)), tuple(buttons)),
            )
        elif timer.kind == "idle" and request.status == "active":
            quiet_until = request.last_activity_at + self.kit.config.idle_timeout
            if quiet_until > turn.now:
                await turn.timers.schedule("idle", quiet_until, request.id)
                return
            await self._close(turn, request, "idle_closed", None)
            prefix = self.t("idle_closed", ref=show_ref(request.ref))
            await self._tell_volunteer(turn, request, self._outcome_prompt(request), prefix=prefix)
            await self._tell_citizen(turn, request, self._rating_prompt(request), prefix=prefix)

    # --- helpers -------------------------------------------------------------------------

    async def _tell_citizen(
        self,
        turn: Turn,
        request: HelpRequestRow,
        reply: Reply,
        prefix: str | None = None,
        sender_id: int | None = None,
    ) -> None:
        if request.citizen_external_id is None:  # the citizen deleted their data
            return
        if prefix:
            reply = replace(reply, text=prefix + "\n" + reply.text)
        await turn.notify(
            request.citizen_channel, request.citizen_external_id, reply, sender_id=sender_id
        )

    async def _tell_volunteer(
        self, turn: Turn, request: HelpRequestRow, reply: Reply, prefix: str | None = None
    ) -> None:
        if not (request.volunteer_channel and request.volunteer_external_id):
            return
        if prefix:
            reply = replace(reply, text=prefix + "\n" + reply.text)
        await turn.notify(request.volunteer_channel, request.volunteer_external_id, reply)

    def _name(self, volunteer: PersonRow) -> str:
        return volunteer.display_name or self.t("volunteer_default_name")
