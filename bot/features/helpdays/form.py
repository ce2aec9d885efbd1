"""`/sukien`: citizens see the next help days; team leaders post, list and cancel them.

`/sukien` alone: a citizen gets the coming days of their commune (asked for it first if not
known); a leader or operator gets the coming days they manage, each with a cancel button, and
a button to post a new one. `/sukien moi`: the guided form (commune, date, time, place,
topics, note). `/sukien huy <id>`: cancel (those who asked for a reminder are told). Editing a
day is done in the console (/admin/helpdays).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.features.fieldlogs.form import parse_day
from bot.features.helpdays.board import HelpDayBoard
from bot.features.helpdays.reminders import cancel_day
from bot.features.helpdays.rules import (
    MAX_AHEAD,
    MAX_NOTE,
    MAX_PLACE,
    describe,
    local_today,
    parse_times,
    remind_at,
)
from bot.features.local.access import managed_communes, may_manage
from bot.features.local.home import HomeDesk
from bot.messages import IncomingMessage, Reply
from bot.state import ConversationState
from bot.support.common import (
    Toolkit,
    Turn,
    checkbox_buttons,
    command_button,
    form_button,
    toggled,
    typed_number,
)
from storage.helpdays import HelpDayRepository
from storage.local_models import HelpDayRow
from storage.masking import mask
from storage.models import PersonRow
from storage.vocabulary import ROLE_RANK, TOPICS

__all__ = ["FLOW", "HelpDayDesk"]

FLOW = "help_day"
MANAGED_SHOWN = 10


class HelpDayDesk:
    """The /sukien command and form."""

    def __init__(self, kit: Toolkit, board: HelpDayBoard, home: HomeDesk) -> None:
        self.kit = kit
        self.t = kit.texts
        self.board = board
        self.home = home

    async def command(
        self, turn: Turn, person: PersonRow, arg: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        words = arg.split()
        manager = ROLE_RANK[person.role] >= ROLE_RANK["leader"]
        if not manager:
            if person.commune_code is None:
                return self.home.ask(state)
            return await self.board.listing(turn, person), state
        cleared = replace(state, flow=None, step=None, form={})
        if words and words[0].lower() == "moi":
            return await self.start(turn, person, cleared)
        if words and words[0].lower() == "huy" and len(words) == 2:
            return await self.cancel(turn, person, words[1]), state
        return await self.manage(turn, person), state

    async def manage(self, turn: Turn, person: PersonRow) -> list[Reply]:
        managed = await managed_communes(turn.people, turn.teams, person)
        communes = sorted(managed) if managed is not None else None
        days = await HelpDayRepository(turn.session).upcoming(
            local_today(turn.now), communes=communes, limit=MANAGED_SHOWN
        )
        new = command_button(self.t("helpday_new_button"), "sukien", "moi")
        if not days:
            return [Reply(self.t("helpdays_manage_none"), (new,))]
        lines = [self.t("helpdays_manage_heading")]
        lines += [describe(self.t, "helpday_line", d, self.kit.places) for d in days]
        cancels = tuple(
            command_button(
                self.t("helpday_cancel_button", day=f"{d.day:%d/%m}"), "sukien", "huy", str(d.id)
            )
            for d in days
        )
        return [Reply("\n".join(lines), (new, *cancels))]

    async def cancel(self, turn: Turn, person: PersonRow, arg: str) -> list[Reply]:
        number = typed_number(arg)
        day = await HelpDayRepository(turn.session).get(number) if number else None
        if day is None:
            return [Reply(self.t("helpday_not_found"))]
        managed = await managed_communes(turn.people, turn.teams, person)
        if not may_manage(managed, day.commune_code):
            await turn.audit.record(
                "denied", turn.now, person.id, person.handle, command="sukien huy"
            )
            return [Reply(self.t("helpday_not_yours"))]
        if day.status == "cancelled":
            told = 0
        else:
            told = await cancel_day(turn, day, self.t, self.kit.places, person.id)
        return [Reply(self.t("helpday_cancelled", day=f"{day.day:%d/%m/%Y}", told=told))]

    # --- the form --------------------------------------------------------------------------

    async def start(
        self, turn: Turn, person: PersonRow, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        managed = await managed_communes(turn.people, turn.teams, person)
        form: dict[str, Any] = {"topics": []}
        if managed is not None and not managed:
            return [Reply(self.t("local_form_no_communes"))], state
        if managed is not None and len(managed) == 1:
            form["commune"] = next(iter(managed))
            return [self._ask("helpday_form_day")], replace(
                state, flow=FLOW, step="day", form=form
            )
        form["communes"] = sorted(managed) if managed is not None else None
        return [self._ask_commune(form["communes"])], replace(
            state, flow=FLOW, step="commune", form=form
        )

    async def answer(
        self,
        turn: Turn,
        person: PersonRow,
        message: IncomingMessage,
        state: ConversationState,
        choice: str | None,
    ) -> tuple[list[Reply], ConversationState]:
        text = (message.text or "").strip()
        form = dict(state.form)
        today = local_today(turn.now)
        match state.step:
            case "commune":
                allowed = form.get("communes")
                code = choice or ""
                if not code and allowed is None:  # an operator types a name
                    found = self.kit.places.search(text)
                    if found.status != "none":
                        options = tuple(
                            form_button(c.label, "commune", c.code) for c in found.candidates
                        )
                        return [Reply(self.t("helpday_form_commune"), options)], state
                if self.kit.places.commune(code) is None or (
                    allowed is not None and code not in allowed
                ):
                    return [self._ask_commune(allowed)], state
                form["commune"] = code
                return [self._ask("helpday_form_day")], replace(state, step="day", form=form)
            case "day":
                day = parse_day(text, today)
                if day is not None and day < today and len(text.split("/")) == 2:
                    day = date(day.year + 1, day.month, day.day)  # "5/1" in December
                if day is None or day < today or day > today + MAX_AHEAD:
                    return [self._ask("helpday_form_day_again")], state
                form["day"] = day.isoformat()
                return [self._ask("helpday_form_time")], replace(state, step="time", form=form)
            case "time":
                times = parse_times(text)
                if times is None:
                    return [self._ask("helpday_form_time_again")], state
                form["start"], form["end"] = times
                return [self._ask("helpday_form_place")], replace(state, step="place", form=form)
            case "place":
                place = mask(text, limit=MAX_PLACE).text.strip()
                if not place:
                    return [self._ask("helpday_form_place")], state
                form["place"] = place
                return [self._ask_topics([])], replace(state, step="topics", form=form)
            case "topics":
                selected = [str(t) for t in form.get("topics", [])]
                if choice in TOPICS:
                    form["topics"] = toggled(selected, choice)
                    return [self._ask_topics(form["topics"])], replace(state, form=form)
                if choice == "done" and selected:
                    skip = form_button(self.t("skip_button"), "note", "skip")
                    return [Reply(self.t("helpday_form_note"), (skip,))], replace(
                        state, step="note", form=form
                    )
                return [self._ask_topics(selected, again=choice == "done")], state
            case "note":
                form["note"] = "" if choice == "skip" else mask(text, limit=MAX_NOTE).text
                done = replace(state, flow=None, step=None, form={})
                return await self._save(turn, person, form), done
        return await self.start(turn, person, replace(state, flow=None, step=None, form={}))

    async def _save(self, turn: Turn, person: PersonRow, form: dict[str, Any]) -> list[Reply]:
        code = str(form["commune"])
        commune = self.kit.places.commune(code)
        managed = await managed_communes(turn.people, turn.teams, person)
        if commune is None or not may_manage(managed, code):  # role changed meanwhile
            return [Reply(self.t("helpday_not_yours"))]
        day = date.fromisoformat(str(form["day"]))
        row = await HelpDayRepository(turn.session).add(
            HelpDayRow(
                commune_code=code,
                province_code=commune.province_code,
                day=day,
                start_time=str(form["start"]),
                end_time=str(form.get("end", "")),
                place=str(form["place"]),
                topics=list(form["topics"]),
                note=str(form.get("note", "")),
                status="planned",
                remind_at=remind_at(day),
                created_by=person.id,
                created_at=turn.now,
                updated_at=turn.now,
            )
        )
        await turn.audit.record("helpday_created", turn.now, person.id, str(row.id), commune=code)
        text = describe(self.t, "helpday_saved", row, self.kit.places)
        return [Reply(text, (command_button(self.t("helpday_new_button"), "sukien", "moi"),))]

    def _cancel_button(self) -> tuple[Any, ...]:
        return (command_button(self.t("cancel_button"), "huy"),)

    def _ask(self, key: str) -> Reply:
        return Reply(self.t(key), self._cancel_button())

    def _ask_commune(self, communes: list[str] | None) -> Reply:
        if communes is None:  # an operator: any commune, typed
            return Reply(self.t("helpday_form_commune"), self._cancel_button())
        options = []
        for code in communes:
            commune = self.kit.places.commune(code)
            options.append(form_button(commune.label if commune else code, "commune", code))
        return Reply(self.t("helpday_form_commune"), (*options, *self._cancel_button()))

    def _ask_topics(self, selected: list[str], again: bool = False) -> Reply:
        buttons = checkbox_buttons("topics", TOPICS.items(), selected)
        buttons.append(form_button(self.t("done_button"), "topics", "done"))
        key = "helpday_form_topics_again" if again else "helpday_form_topics"
        return Reply(self.t(key), (*buttons, *self._cancel_button()))
