"""`/diaphuong`: a team leader (own communes) or an operator (any commune, or a province's
default) keeps the local details in four short questions.

Each question shows the current value, with "Giữ nguyên" (keep) and "Để trống" (clear)
buttons; a typed answer replaces it. Texts are masked like every stored text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.features.local.access import managed_communes, may_manage
from bot.features.local.blocks import LocalBlocks
from bot.messages import Button, IncomingMessage, Reply
from bot.state import ConversationState
from bot.support.common import Toolkit, Turn, command_button, form_button
from storage.local import FIELDS, LocalRepository
from storage.masking import mask
from storage.models import PersonRow

__all__ = ["FLOW", "LocalDetailsDesk"]

FLOW = "local_details"
# step -> (column, question key)
STEPS = (
    ("desk", "desk_address", "local_form_desk"),
    ("hours", "opening_hours", "local_form_hours"),
    ("contact", "contact", "local_form_contact"),
    ("note", "note", "local_form_note"),
)
ALL_BLOCKS = ("desk", "hours", "contact", "note")
MAX_PROVINCE_BUTTONS = 4  # a deployment for a few provinces: one button each


class LocalDetailsDesk:
    """The /diaphuong form."""

    def __init__(self, kit: Toolkit, blocks: LocalBlocks) -> None:
        self.kit = kit
        self.t = kit.texts
        self.blocks = blocks

    async def start(
        self, turn: Turn, person: PersonRow, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        managed = await managed_communes(turn.people, turn.teams, person)
        if managed is not None and not managed:
            return [Reply(self.t("local_form_no_communes"))], state
        form: dict[str, Any] = {"communes": sorted(managed) if managed is not None else None}
        if managed is not None and len(managed) == 1:
            return await self._chosen(turn, state, form, "commune", next(iter(managed)))
        return [self._ask_place(form["communes"])], replace(
            state, flow=FLOW, step="place", form=form
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
        allowed = form.get("communes")
        if state.step == "place":
            level, _, code = (choice or "").partition(":")
            if not choice and allowed is None:  # an operator types a commune or a province
                options = []
                province = self.kit.places.find_province(text)
                if province is not None:
                    options.append(self._province_button(province.code, province.name))
                found = self.kit.places.search(text)
                if found.status != "none":
                    options += [
                        form_button(c.label, "place", f"commune:{c.code}")
                        for c in found.candidates
                    ]
                if options:
                    return [Reply(self.t("local_form_commune"), tuple(options))], state
            if level == "province" and allowed is None and self.kit.places.province(code):
                return await self._chosen(turn, state, form, "province", code)
            if (
                level == "commune"
                and self.kit.places.commune(code)
                and may_manage(frozenset(allowed) if allowed is not None else None, code)
            ):
                return await self._chosen(turn, state, form, "commune", code)
            return [self._ask_place(allowed)], state
        names = [step for step, _, _ in STEPS]
        if state.step not in names:
            return await self.start(turn, person, replace(state, flow=None, step=None, form={}))
        index = names.index(str(state.step))
        column = STEPS[index][1]
        values = dict(form.get("values", {}))
        if choice == "clear":
            values[column] = ""
        elif choice != "keep":
            if not text:
                return [self._ask(index, form)], state
            # The team's public contact is published on purpose: a phone number there is
            # the point, so it is not masked like every other stored text.
            kept = (
                text[: FIELDS[column]]
                if column == "contact"
                else mask(text, limit=FIELDS[column]).text
            )
            values[column] = kept.strip()
        form["values"] = values
        if index + 1 < len(STEPS):
            following = replace(state, step=STEPS[index + 1][0], form=form)
            return [self._ask(index + 1, form)], following
        done = replace(state, flow=None, step=None, form={})
        return await self._save(turn, person, form), done

    async def _chosen(
        self, turn: Turn, state: ConversationState, form: dict[str, Any], level: str, code: str
    ) -> tuple[list[Reply], ConversationState]:
        row = await LocalRepository(turn.session).row(level, code)
        form["level"], form["code"] = level, code
        form["current"] = {name: getattr(row, name, "") if row else "" for name in FIELDS}
        form["values"] = {}
        return [self._ask(0, form)], replace(state, flow=FLOW, step=STEPS[0][0], form=form)

    async def _save(self, turn: Turn, person: PersonRow, form: dict[str, Any]) -> list[Reply]:
        level, code = str(form["level"]), str(form["code"])
        managed = await managed_communes(turn.people, turn.teams, person)
        if level == "commune":
            commune = self.kit.places.commune(code)
            if commune is None or not may_manage(managed, code):
                return [Reply(self.t("local_not_yours", commune=code))]
            province_code, label = commune.province_code, commune.label
        else:
            province = self.kit.places.province(code)
            if province is None or managed is not None:
                return [Reply(self.t("local_not_yours", commune=code))]
            province_code, label = province.code, province.name
        await LocalRepository(turn.session).save(
            level, code, province_code, dict(form["values"]), person.id, turn.now
        )
        await turn.audit.record("local_details", turn.now, person.id, f"{level}:{code}")
        lines = [self.t("local_form_saved", place=label)]
        if level == "commune":
            lines.append(await self.blocks.details_text(turn, code, ALL_BLOCKS))
        return [Reply("\n".join(line for line in lines if line))]

    def _ask(self, index: int, form: dict[str, Any]) -> Reply:
        _, column, key = STEPS[index]
        current = str(dict(form.get("current", {})).get(column, ""))
        step = STEPS[index][0]
        buttons = []
        if current:
            buttons.append(form_button(self.t("local_form_keep_button"), step, "keep"))
            buttons.append(form_button(self.t("local_form_clear_button"), step, "clear"))
        else:
            buttons.append(form_button(self.t("skip_button"), step, "keep"))
        buttons.append(command_button(self.t("cancel_button"), "huy"))
        return Reply(self.t(key, current=current or self.t("local_form_empty")), tuple(buttons))

    def _province_button(self, code: str, name: str) -> Button:
        title = self.t("local_form_province_button", province=name)
        return form_button(title, "place", f"province:{code}")

    def _ask_place(self, communes: list[str] | None) -> Reply:
        options = []
        cancel = command_button(self.t("cancel_button"), "huy")
        if communes is None:  # an operator: a typed name; the provinces if only a few
            provinces = self.kit.places.provinces()
            if len(provinces) <= MAX_PROVINCE_BUTTONS:
                options = [self._province_button(p.code, p.name) for p in provinces]
            return Reply(self.t("local_form_place_typed"), (*options, cancel))
        for code in communes:
            commune = self.kit.places.commune(code)
            options.append(
                form_button(commune.label if commune else code, "place", f"commune:{code}")
            )
        return Reply(self.t("local_form_commune"), (*options, cancel))
