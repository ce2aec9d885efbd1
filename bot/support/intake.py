"""The citizen's side of asking for a person: topic, commune, description, mode, consent.

Each question is a step of the "intake" form kept in the conversation state, so the citizen
can answer on any worker, hours later. Buttons are offered wherever the answer is a choice;
typed answers are accepted too, because a farmer on a cheap phone often types instead.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.messages import SHARE_CONTACT, Button, IncomingMessage, Reply
from bot.state import ConversationState
from bot.support.common import Toolkit, Turn, choices, command_button, form_button, show_ref
from bot.support.sessions import SessionDesk
from intents.normalize import fold
from storage.masking import mask
from storage.models import PersonRow
from storage.vocabulary import MODES, TOPICS

__all__ = ["FLOW", "Intake", "normalize_phone"]

FLOW = "intake"
# Typed instead of pressing "Bỏ qua" (Telegram's share-phone keyboard sends the title as text).
SKIP_WORDS = frozenset({"bo qua", "khong", "thoi", "skip"})
MAX_DESCRIPTION = 300
MAX_PLACE_TRIES = 3
_PHONE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")
_YES = frozenset({"co", "dong y", "ok", "uh", "u", "vang", "da", "yes", "y", "co dong y"})
_NO = frozenset({"khong", "ko", "k", "no", "khong dong y", "thoi"})


def normalize_phone(text: str) -> str | None:
    """A Vietnamese mobile number in the 0xxxxxxxxx form, or None if it is not one."""
    digits = re.sub(r"[\s.\-()]", "", text)
    found = _PHONE.match(digits)
    return "0" + found.group(1) if found else None


class Intake:
    """Asks the intake questions one by one and opens the request at the end."""

    def __init__(self, kit: Toolkit, desk: SessionDesk) -> None:
        self.kit = kit
        self.t = kit.texts
        self.desk = desk

    async def start(
        self, turn: Turn, person: PersonRow, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        """Begin (or explain the open request instead of opening a second one)."""
        existing = await turn.requests.open_for_citizen(person.id)
        if existing is not None:
            key = "intake_already_open" if existing.status == "open" else "intake_already_active"
            cancel = command_button(self.t("cancel_request_button"), "huy")
            return [Reply(self.t(key, ref=show_ref(existing.ref)), (cancel,))], state
        state = replace(state, flow=FLOW, step="topic", form={})
        return [self._ask_topic(self.t("intake_intro"))], state

    async def answer(
        self,
        turn: Turn,
        person: PersonRow,
        message: IncomingMessage,
        state: ConversationState,
        choice: str | None,
    ) -> tuple[list[Reply], ConversationState]:
        """Take the answer to the current step: a pressed `choice` or typed text."""
        text = (message.text or "").strip()
        form = dict(state.form)
        match state.step:
            case "topic":
                topic = choice if choice in TOPICS else self._typed_choice(text, TOPICS)
                if topic is None:
                    return [self._ask_topic(self.t("intake_topic_again"))], state
                form["topic"] = topic
                return self._ask_place(replace(state, step="commune", form=form), person)
            case "commune":
                return self._on_place(state, form, choice, text)
            case "description":
                if choice == "skip" or text:
                    described = mask(text, limit=MAX_DESCRIPTION).text if choice != "skip" else ""
                    form["description"] = described
                    state = replace(state, step="mode", form=form)
                    replies = [self._ask_mode()]
                    if text and mask(text).secret:
                        replies.insert(0, Reply(self.t("secret_warning_short")))
                    return replies, state
                return [self._ask_description()], state
            case "mode":
                mode = choice if choice in MODES else self._typed_choice(text, MODES)
                if mode is None:
                    return [self._ask_mode()], state
                form["mode"] = mode
                return [self._ask_consent(mode)], replace(state, step="consent", form=form)
            case "consent":
                consent = choice if choice in ("yes", "no") else self._yes_no(text)
                if consent is None:
                    return [self._ask_consent(str(form.get("mode")))], state
                if consent == "yes":
                    if message.contact_phone:
                        return await self._on_phone(turn, person, state, form, message)
                    return [self._ask_phone()], replace(state, step="phone", form=form)
                if form.get("mode") == "phone":
                    form["mode"] = "chat"  # no number, no call: help continues here
                    return await self._finish(
                        turn, person, state, form, [Reply(self.t("intake_phone_mode_changed"))]
                    )
                return await self._finish(turn, person, state, form, [])
            case "phone":
                if choice == "skip" or fold(text).strip(" .!") in SKIP_WORDS:
                    if form.get("mode") == "phone":
                        form["mode"] = "chat"
                    return await self._finish(turn, person, state, form, [])
                return await self._on_phone(turn, person, state, form, message)
        # A step this version does not know (an old state): start the form again.
        return await self.start(turn, person, replace(state, flow=None, step=None, form={}))

    # --- questions -----------------------------------------------------------------------

    def _ask_topic(self, text: str) -> Reply:
        return Reply(text, choices("topic", TOPICS.items(), self._cancel()))

    def _ask_place(
        self, state: ConversationState, person: PersonRow
    ) -> tuple[list[Reply], ConversationState]:
        hinted = self.kit.places.commune(state.commune_hint) if state.commune_hint else None
        if hinted is not None:  # the citizen came from this commune's poster
            buttons = (
                form_button(hinted.label, "commune", hinted.code),
                form_button(self.t("place_not_this_button"), "commune", "retry"),
            )
            return [Reply(self.t("intake_place_confirm", place=hinted.label), buttons)], state
        return [Reply(self.t("intake_place"), (self._cancel(),))], state

    def _ask_description(self) -> Reply:
        return Reply(
            self.t("intake_description"),
            (form_button(self.t("skip_button"), "description", "skip"), self._cancel()),
        )

    def _ask_mode(self) -> Reply:
        return Reply(self.t("intake_mode"), choices("mode", MODES.items(), self._cancel()))

    def _ask_consent(self, mode: str) -> Reply:
        key = "intake_consent_for_call" if mode == "phone" else "intake_consent"
        buttons = choices(
            "consent",
            (("yes", self.t("consent_yes_button")), ("no", self.t("consent_no_button"))),
        )
        return Reply(self.t(key, days=self.kit.config.retention_days), buttons)

    def _ask_phone(self) -> Reply:
        return Reply(
            self.t("intake_phone"),
            (
                Button(self.t("share_phone_button"), SHARE_CONTACT),
                form_button(self.t("skip_button"), "phone", "skip"),
            ),
        )

    def _cancel(self) -> Button:
        return command_button(self.t("cancel_button"), "huy")

    # --- answers -------------------------------------------------------------------------

    def _on_place(
        self, state: ConversationState, form: dict[str, Any], choice: str | None, text: str
    ) -> tuple[list[Reply], ConversationState]:
        places = self.kit.places
        if choice == "retry":
            return [Reply(self.t("intake_place_retry"), (self._cancel(),))], state
        if choice is not None:
            commune = places.commune(choice)
            if commune is None:
                return [Reply(self.t("intake_place"), (self._cancel(),))], state
            form["commune"] = commune.code
            state = replace(state, step="description", form=form)
            confirmed = Reply(self.t("intake_place_ok", place=commune.label))
            return [confirmed, self._ask_description()], state
        tries = int(form.get("place_tries", 0)) + 1
        form["place_tries"] = tries
        state = replace(state, form=form)
        match = places.search(text)
        if match.status == "found":
            commune = match.candidates[0]
            buttons = (
                form_button(commune.label, "commune", commune.code),
                form_button(self.t("place_not_this_button"), "commune", "retry"),
            )
            return [Reply(self.t("intake_place_confirm", place=commune.label), buttons)], state
        if match.status == "ambiguous":
            options = [form_button(c.label, "commune", c.code) for c in match.candidates]
            key = "intake_place_which_province" if match.needs_province else "intake_place_which"
            return [Reply(self.t(key), (*options, self._cancel()))], state
        key = "intake_place_unknown" if tries < MAX_PLACE_TRIES else "intake_place_give_up"
        return [Reply(self.t(key), (self._cancel(),))], state

    def on_location(
        self, state: ConversationState, latitude: float, longitude: float
    ) -> tuple[list[Reply], ConversationState]:
        """A shared location while the commune is asked: offer the nearest communes.

        The position itself is not stored; only the commune the citizen confirms is.
        """
        near = self.kit.places.nearest(latitude, longitude)
        if not near:
            key = "location_unknown" if self.kit.places.has_points else "location_no_map"
            return [Reply(self.t(key), (self._cancel(),))], state
        options = [form_button(c.label, "commune", c.code) for c in near]
        retry = form_button(self.t("place_not_this_button"), "commune", "retry")
        return [Reply(self.t("location_suggest"), (*options, retry, self._cancel()))], state

    async def _on_phone(
        self,
        turn: Turn,
        person: PersonRow,
        state: ConversationState,
        form: dict[str, Any],
        message: IncomingMessage,
    ) -> tuple[list[Reply], ConversationState]:
        phone = normalize_phone(message.contact_phone or message.text or "")
        if phone is None:
            return [self._ask_phone_again()], replace(state, step="phone", form=form)
        form["phone"] = phone
        return await self._finish(turn, person, state, form, [])

    def _ask_phone_again(self) -> Reply:
        return Reply(
            self.t("intake_phone_again"), (form_button(self.t("skip_button"), "phone", "skip"),)
        )

    async def _finish(
        self,
        turn: Turn,
        person: PersonRow,
        state: ConversationState,
        form: dict[str, Any],
        before: list[Reply],
    ) -> tuple[list[Reply], ConversationState]:
        state = replace(state, flow=None, step=None, form={})
        if not person.commune_code:  # learned once (issue 15); /xa changes it
            await turn.people.set_home_commune(person, str(form["commune"]), turn.now)
        replies = await self.desk.open_request(
            turn,
            person,
            topic=str(form["topic"]),
            commune_code=str(form["commune"]),
            description=str(form.get("description", "")),
            mode=str(form.get("mode", "chat")),
            phone=form.get("phone"),
        )
        return [*before, *replies], state

    @staticmethod
    def _typed_choice(text: str, options: dict[str, str]) -> str | None:
        """A typed option: its number ("2") or enough of its label ("vneid")."""
        folded = fold(text).strip()
        keys = list(options)
        if folded.isdigit() and 1 <= int(folded) <= len(keys):
            return keys[int(folded) - 1]
        if len(folded) < 3:
            return None
        hits = [key for key, label in options.items() if folded in fold(label)]
        return hits[0] if len(hits) == 1 else None

    @staticmethod
    def _yes_no(text: str) -> str | None:
        folded = fold(text).strip(" .!")
        if folded in _YES:
            return "yes"
        if folded in _NO:
            return "no"
        return None
