"""`trolyso demo`: play a month of help in Gia Lai through the bot itself.

The cast is seeded directly (bot/demo/cast.py); then every help request, claim, relayed
message, hand-back, end, outcome, rating and field log is the product's own doing: the demo
people type and press buttons at a console (`Bot.handle`), read what the bot sends them from
the outbox, and the product's background round runs the timers (escalation, giving up, idle
sessions), all on a fake clock that walks the 30 local days ending `today`. If the product
changes so that the script no longer fits (a button is not offered, a claim does not take),
the demo stops with `DemoDrift` instead of writing something the product would not.

Three direct writes remain, after the play, and say what they are:
- every demo request gets `is_demo=True` and every demo field log `source="demo"` (the chat
  writes "chat"), so that reports can tell the demo apart;
- the timers still pending (the live requests near `now`) are settled, so that starting the
  bot on a demo database does not escalate, give up or close anything on its own: the live
  requests wait for whoever plays them.

Reference codes, handles and pseudonyms are random (as in the product); everything else
follows `random.Random(seed)`.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import select, update

from bot import payloads
from bot.demo.cast import TEAMS, Cast, Team, add_cast, find_communes, logins
from bot.demo.local import PAST_DAYS, add_local
from bot.demo.news import add_subscribers
from bot.demo.script import DAYS, Outing, Visit, local, plan_field_work, plan_requests
from bot.demo.stage import Actor, Cue, DemoDrift, Stage
from bot.demo.summary import DemoSummary
from bot.services import Bot
from bot.support.common import SupportConfig
from storage.models import FieldLogRow, HelpRequestRow, PersonRow, TimerRow, VolunteerRow
from storage.support import HelpRequestRepository
from storage.timers import TimerRepository

__all__ = ["seed_demo"]

MINUTE = timedelta(minutes=1)
DURATION_BUTTONS = (30, 60, 120, 240)  # the /ghinhan form's buttons; other values are typed


class Month:
    """Turns the script into cues on the stage, and each cue into messages to the bot."""

    def __init__(self, stage: Stage, cast: Cast, rng: random.Random, config: SupportConfig):
        self.stage = stage
        self.cast = cast
        self.rng = rng
        self.config = config
        self.busy: set[int] = set()  # citizens in the middle of a request

    # --- helpers -------------------------------------------------------------------------

    def _actor(self, person: PersonRow) -> Actor:
        return self.stage.actor(self.cast.console[person.id])

    def _later(self, delay: timedelta, cue: Cue) -> None:
        self.stage.at(self.stage.clock.now + delay, cue)

    async def _request(self, ref: str) -> HelpRequestRow:
        async with self.stage.bot.sessions() as session:
            found = await HelpRequestRepository(session).by_ref(ref)
        if found is None:  # pragma: no cover - a request is never deleted
            raise DemoDrift(f"request {ref} vanished")
        return found

    async def _load(self, team: Team) -> dict[int, int]:
        """Room left for one more session, for each member of the team."""
        ids = [p.id for _, p in team.members]
        async with self.stage.bot.sessions() as session:
            profiles = await session.execute(
                select(VolunteerRow.person_id, VolunteerRow.max_sessions).where(
                    VolunteerRow.person_id.in_(ids)
                )
            )
            limits = dict(profiles.tuples().all())
            sessions = await session.execute(
                select(HelpRequestRow.volunteer_id).where(
                    HelpRequestRow.status == "active", HelpRequestRow.volunteer_id.in_(ids)
                )
            )
            active = Counter(sessions.scalars())
        return {i: limits.get(i, 0) - active[i] for i in ids}

    # --- a help request ------------------------------------------------------------------

    def cue_visit(self, visit: Visit) -> None:
        self.stage.at(visit.created, lambda: self._open(visit))

    async def _open(self, visit: Visit) -> None:
        """A citizen of the commune with nothing open asks for a person, step by step."""
        team = self.cast.teams[visit.team]
        free = [p for p, _ in team.citizens if p.id not in self.busy]
        if not free:  # everybody is waiting already: ask a little later
            self._later(10 * MINUTE, lambda: self._open(visit))
            return
        citizen = self.rng.choice(free)
        self.busy.add(citizen.id)
        me = self._actor(citizen)
        await me.say(visit.opening)
        await me.press("form", f"topic:{visit.topic}")
        await me.say(team.commune.label)
        await me.press("form", f"commune:{team.commune.code}")
        if visit.description:
            await me.say(visit.description)
        else:
            await me.press("form", "description:skip")
        await me.press("form", f"mode:{visit.mode}")
        if visit.phone is None:
            await me.press("form", "consent:no")
        else:
            await me.press("form", "consent:yes")
            await me.say(visit.phone)
        async with self.stage.bot.sessions() as session:
            opened = await HelpRequestRepository(session).open_for_citizen(citizen.id)
        if opened is None:
            raise DemoDrift("the intake did not open a request")
        ref = opened.ref
        if visit.fate == "cancelled":
            self._later(visit.cancel_after, lambda: self._cancel(citizen, ref))
        elif visit.fate == "unclaimed":  # nobody claims: the give-up timer closes it
            self._later(self.config.giveup_timeout + MINUTE, lambda: self._free(citizen))
        elif visit.fate in ("closed", "active"):
            self._later(visit.wait, lambda: self._claim(visit, citizen, ref, None))

    async def _free(self, citizen: PersonRow) -> None:
        self.busy.discard(citizen.id)

    async def _cancel(self, citizen: PersonRow, ref: str) -> None:
        await self._actor(citizen).say("/huy")
        self.busy.discard(citizen.id)

    async def _claim(
        self, visit: Visit, citizen: PersonRow, ref: str, handed_back: PersonRow | None
    ) -> None:
        team = self.cast.teams[visit.team]
        if visit.volunteer is not None:
            volunteer = team.member(visit.volunteer)
        else:
            room = await self._load(team)
            members = [(m, p) for m, p in team.members if room[p.id] > 0 and p is not handed_back]
            if not members:  # the whole team is busy: someone claims when they can
                self._later(5 * MINUTE, lambda: self._claim(visit, citizen, ref, handed_back))
                return
            volunteer = self.rng.choices([p for _, p in members], [m.weight for m, _ in members])[
                0
            ]
        me = self._actor(volunteer)
        if not me.sees("claim", ref):  # not on duty, or not notified: look at the queue
            await me.say("/hangdoi")
        won = await me.press("claim", ref)
        if not any(
            b.payload == payloads.encode("command", f"ketthuc {ref}")
            for r in won
            for b in r.buttons
        ):
            raise DemoDrift(f"{me.key.user_id} could not claim {ref}")
        me.focus = ref
        if visit.handback is not None and handed_back is None:
            self._later(visit.handback, lambda: self._hand_back(visit, citizen, ref, volunteer))
            return
        for after, sender, text in visit.talk:
            who = citizen if sender == "citizen" else volunteer
            self._later(after, partial(self._relay, who, ref, text))
        if visit.fate == "closed":  # a live session goes on after `now`
            self._later(visit.handling, lambda: self._end(visit, citizen, volunteer, ref))

    async def _hand_back(
        self, visit: Visit, citizen: PersonRow, ref: str, volunteer: PersonRow
    ) -> None:
        me = self._actor(volunteer)
        await me.say(f"/tra {ref}")
        me.focus = None
        self._later(visit.reclaim, lambda: self._claim(visit, citizen, ref, volunteer))

    async def _relay(self, person: PersonRow, ref: str, text: str) -> None:
        me = self._actor(person)
        if person.role != "citizen" and me.focus != ref:
            await me.say(f"/phien {ref}")
            me.focus = ref
        await me.say(text)

    async def _end(self, visit: Visit, citizen: PersonRow, volunteer: PersonRow, ref: str) -> None:
        """The volunteer or the citizen ends the session, unless the idle timer did."""
        active = (await self._request(ref)).status == "active"
        if visit.ending == "volunteer" and active:
            await self._actor(volunteer).say(f"/ketthuc {ref}")
            self._actor(volunteer).focus = None
        elif visit.ending == "citizen" and active:
            await self._actor(citizen).say("/ketthuc")
        elif active:
            raise DemoDrift(f"{ref} was quiet for {visit.handling} and is still active")
        self._later(visit.outcome_after, lambda: self._outcome(visit, volunteer, ref))
        if visit.rating is None:
            self.busy.discard(citizen.id)
        else:
            self._later(visit.rating_after, lambda: self._rate(visit, citizen, ref))

    async def _outcome(self, visit: Visit, volunteer: PersonRow, ref: str) -> None:
        me = self._actor(volunteer)
        await me.press("outcome", f"{ref}:{visit.outcome}")
        for service in visit.services:
            await me.press("form", f"services:{service}")
        await me.press("form", "services:done")

    async def _rate(self, visit: Visit, citizen: PersonRow, ref: str) -> None:
        me = self._actor(citizen)
        await me.press("rate", f"{ref}:{visit.rating}")
        if visit.comment:
            await me.say(visit.comment)
        else:
            await me.press("form", "comment:skip")
        self.busy.discard(citizen.id)

    # --- a field log ---------------------------------------------------------------------

    def cue_outing(self, outing: Outing) -> None:
        self.stage.at(outing.at, lambda: self._log(outing))

    async def _log(self, outing: Outing) -> None:
        """The evening after a day of help in person: /ghinhan, a few taps, done."""
        team = self.cast.teams[outing.team]
        me = self._actor(team.member(outing.volunteer))
        await me.say("/ghinhan")
        await me.press("form", "day:today")
        if me.sees("form", f"commune:{team.commune.code}"):
            await me.press("form", f"commune:{team.commune.code}")
        await me.say(outing.place)
        for service in outing.services:
            await me.press("form", f"services:{service}")
        await me.press("form", "services:done")
        await me.say(str(outing.citizens))
        if outing.duration in DURATION_BUTTONS:
            await me.press("form", f"duration:{outing.duration}")
        else:
            await me.say(f"{outing.duration} phút")
        saved = await (me.say(outing.notes) if outing.notes else me.press("form", "notes:skip"))
        if not any(b.payload.endswith("ghinhan") for r in saved for b in r.buttons):
            raise DemoDrift("/ghinhan did not save the field log")


async def _finish(stage: Stage, cast: Cast) -> None:
    """The direct writes after the play: mark the demo, settle the live requests' timers."""
    ids = cast.people_ids
    async with stage.bot.sessions.begin() as session:
        await session.execute(
            update(HelpRequestRow).where(HelpRequestRow.citizen_id.in_(ids)).values(is_demo=True)
        )
        await session.execute(
            update(FieldLogRow)
            .where(FieldLogRow.volunteer_id.in_(ids), FieldLogRow.source == "chat")
            .values(source="demo")
        )
        pending = await session.execute(
            select(TimerRow.request_id, TimerRow.kind).where(TimerRow.done_at.is_(None))
        )
        timers = TimerRepository(session)
        for request_id, kind in pending.tuples().all():
            if request_id is not None:
                await timers.cancel(request_id, (kind,), stage.clock.now)


async def _summary(stage: Stage, cast: Cast, first_day: date, today: date) -> DemoSummary:
    async with stage.bot.sessions() as session:
        ids = cast.people_ids
        statuses = Counter(
            (
                await session.execute(
                    select(HelpRequestRow.status).where(HelpRequestRow.citizen_id.in_(ids))
                )
            ).scalars()
        )
        logs = len(
            (
                await session.execute(
                    select(FieldLogRow.id).where(FieldLogRow.volunteer_id.in_(ids))
                )
            ).all()
        )
    return DemoSummary(
        province=cast.province,
        communes=tuple(t.commune.label for t in cast.teams),
        people=logins(cast.teams),
        requests=sum(statuses.values()),
        field_logs=logs,
        open_requests=statuses["open"],
        active_requests=statuses["active"],
        first_day=first_day,
        last_day=today,
    )


async def seed_demo(
    bot: Bot,
    *,
    today: date,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoSummary:
    """Play the demo month into the bot's (empty) database and say what it holds.

    The month is the 30 local days ending `today`. Finished requests happen on the days
    before `today`; the live ones (open, active) a few minutes before `now`, which defaults
    to 09:00 local time on `today` (pass the real clock from the CLI). Each message commits
    on its own, as in the product; a refusal (DemoError) comes before anything is written.
    """
    if now is None:
        now = local(today, 9)
    elif now.tzinfo is None:
        raise ValueError("naive datetime: use timezone-aware UTC times")
    kit = bot.assistant.kit
    find_communes(kit.places)  # refuse before writing anything
    rng = random.Random(seed)
    first_day = today - timedelta(days=DAYS - 1)
    setup_at = local(first_day - timedelta(days=7), 8)
    async with bot.sessions.begin() as session:
        cast = await add_cast(session, kit.places, setup_at)
    stage = Stage(bot, setup_at)
    month = Month(stage, cast, rng, kit.config)
    for visit in plan_requests(rng, TEAMS, first_day, now, kit.config):
        month.cue_visit(visit)
    for outing in plan_field_work(rng, cast.teams, first_day):
        month.cue_outing(outing)
    await stage.run(until=now)
    await _finish(stage, cast)
    async with bot.sessions.begin() as session:
        days = await add_local(session, cast, today, now)
        subscribers, dry_run = await add_subscribers(session, cast, now, rng)
    await stage.deliver()
    summary = await _summary(stage, cast, first_day, today)
    held = len(PAST_DAYS) * len(cast.teams)
    return replace(
        summary,
        help_days_held=held,
        help_days_coming=days - held,
        subscribers=subscribers,
        dry_run=dry_run,
    )
