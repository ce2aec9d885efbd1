"""Volunteers log in-person help from the chat in a few taps: /ghinhan.

Date (today by default), commune, place, services (multi-choice), citizens helped, duration,
notes. Every answer has a button for the usual case, so a log takes under a minute. The bounds
are the file import's (`limits`): a log typed here and a row of a spreadsheet say the same.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta, timezone
from typing import Any

from bot.features.fieldlogs import limits
from bot.messages import IncomingMessage, Reply
from bot.state import ConversationState
from bot.support.common import (
    Toolkit,
    Turn,
    checkbox_buttons,
    choices,
    command_button,
    form_button,
    toggled,
    typed_number,
)
from storage.masking import mask
from storage.models import FieldLogRow, PersonRow
from storage.vocabulary import SERVICES

__all__ = ["FLOW", "LOCAL_TIME", "FieldLogDesk", "parse_day"]

FLOW = "field_log"
LOCAL_TIME = timezone(timedelta(hours=7))  # Vietnam, no daylight saving
_DAY = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})(?:[/\-.](\d{2,4}))?$")
DURATIONS = (("30", "30 phút"), ("60", "1 giờ"), ("120", "2 giờ"), ("240", "Nửa ngày"))


def parse_day(text: str, today: date) -> date | None:
    """DD/MM or DD/MM/YYYY as Vietnamese write dates; None if not a valid date."""
    found = _DAY.match(text.strip())
    if not found:
        return None
    day, month, year = found.groups()
    full_year = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(full_year, int(month), int(day))
    except ValueError:
        return None


class FieldLogDesk:
    """The /ghinhan form."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def start(
        self, turn: Turn, person: PersonRow, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        communes = await turn.people.communes(person.id)
        if not communes:
            return [Reply(self.t("duty_needs_commune"))], state
        form: dict[str, Any] = {"communes": communes, "services": []}
        return [self._ask_day()], replace(state, flow=FLOW, step="day", form=form)

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
        today = turn.now.astimezone(LOCAL_TIME).date()
        match state.step:
            case "day":
                if choice in ("today", "yesterday"):
                    day: date | None = today - timedelta(days=1 if choice == "yesterday" else 0)
                else:
                    day = parse_day(text, today)
                if day is None or day > today or day < limits.FIRST_DAY:
                    return [self._ask_day(again=True)], state
                form["day"] = day.isoformat()
                communes = list(form["communes"])
                if len(communes) == 1:
                    form["commune"] = communes[0]
                    return [self._ask_place()], replace(state, step="place", form=form)
                return [self._ask_commune(communes)], replace(state, step="commune", form=form)
            case "commune":
                if choice not in form["communes"]:
                    return [self._ask_commune(list(form["communes"]))], state
                form["commune"] = choice
                return [self._ask_place()], replace(state, step="place", form=form)
            case "place":
                form["place"] = "" if choice == "skip" else mask(text, limit=limits.MAX_PLACE).text
                return [self._ask_services([])], replace(state, step="services", form=form)
            case "services":
                selected = [str(s) for s in form.get("services", [])]
                if choice in SERVICES:
                    selected = toggled(selected, choice)
                    form["services"] = selected
                    return [self._ask_services(selected)], replace(state, form=form)
                if choice == "done" and selected:
                    return [self._ask_count()], replace(state, step="count", form=form)
                return [self._ask_services(selected, again=choice == "done")], state
            case "count":
                count = typed_number(text) or typed_number(choice or "") or 0
                if not 1 <= count <= limits.MAX_CITIZENS:
                    return [self._ask_count(again=True)], state
                form["count"] = count
                return [self._ask_duration()], replace(state, step="duration", form=form)
            case "duration":
                value = choice if choice is not None else re.sub(r"\D", "", text)
                if choice != "skip" and (
                    not value.isdigit() or not 1 <= int(value) <= limits.MAX_MINUTES
                ):
                    return [self._ask_duration(again=True)], state
                form["duration"] = None if choice == "skip" else int(value)
                return [self._ask_notes()], replace(state, step="notes", form=form)
            case "notes":
                form["notes"] = "" if choice == "skip" else mask(text, limit=limits.MAX_NOTES).text
                return await self._save(turn, person, form), replace(
                    state, flow=None, step=None, form={}
                )
        return [self._ask_day()], replace(state, step="day")

    async def _save(self, turn: Turn, person: PersonRow, form: dict[str, Any]) -> list[Reply]:
        commune = self.kit.places.commune(str(form["commune"]))
        row = FieldLogRow(
            day=date.fromisoformat(str(form["day"])),
            commune_code=str(form["commune"]),
            province_code=commune.province_code if commune else "",
            team_id=person.team_id,
            volunteer_id=person.id,
            volunteer_name=person.display_name or person.handle,
            place=str(form.get("place", "")),
            services=list(form["services"]),
            citizens_helped=int(form["count"]),
            duration_minutes=form.get("duration"),
            notes=str(form.get("notes", "")),
            source="chat",
            created_at=turn.now,
        )
        turn.session.add(row)
        await turn.session.flush()
        services = ", ".join(SERVICES[s] for s in row.services)
        text = self.t(
            "field_log_saved",
            day=row.day.strftime("%d/%m/%Y"),
            place=commune.label if commune else row.commune_code,
            count=row.citizens_helped,
            services=services,
        )
        return [Reply(text, (command_button(self.t("field_log_another_button"), "ghinhan"),))]

    def _cancel(self) -> tuple[Any, ...]:
        return (command_button(self.t("cancel_button"), "huy"),)

    def _ask_day(self, again: bool = False) -> Reply:
        options = (("today", self.t("today_button")), ("yesterday", self.t("yesterday_button")))
        first = limits.FIRST_DAY
        text = (
            self.t("field_log_day_again", first=f"{first.day}/{first.month}/{first.year}")
            if again
            else self.t("field_log_day")
        )
        return Reply(text, choices("day", options, *self._cancel()))

    def _ask_commune(self, communes: list[str]) -> Reply:
        options = []
        for code in communes:
            commune = self.kit.places.commune(code)
            options.append((code, commune.label if commune else code))
        return Reply(self.t("field_log_commune"), choices("commune", options, *self._cancel()))

    def _ask_place(self) -> Reply:
        skip = form_button(self.t("skip_button"), "place", "skip")
        return Reply(self.t("field_log_place"), (skip, *self._cancel()))

    def _ask_services(self, selected: list[str], again: bool = False) -> Reply:
        buttons = checkbox_buttons("services", SERVICES.items(), selected)
        buttons.append(form_button(self.t("done_button"), "services", "done"))
        key = "field_log_services_again" if again else "field_log_services"
        return Reply(self.t(key), (*buttons, *self._cancel()))

    def _ask_count(self, again: bool = False) -> Reply:
        """Typed, without buttons: where buttons are numbered (console, Zalo Bot), a typed
        "3" would otherwise press the third button instead of meaning three people."""
        if again:
            return Reply(self.t("field_log_count_again", most=limits.MAX_CITIZENS))
        return Reply(self.t("field_log_count"))

    def _ask_duration(self, again: bool = False) -> Reply:
        skip = form_button(self.t("skip_button"), "duration", "skip")
        text = (
            self.t("field_log_duration_again", most=limits.MAX_MINUTES)
            if again
            else self.t("field_log_duration")
        )
        return Reply(text, choices("duration", DURATIONS, skip, *self._cancel()))

    def _ask_notes(self) -> Reply:
        skip = form_button(self.t("skip_button"), "notes", "skip")
        return Reply(self.t("field_log_notes"), (skip,))
