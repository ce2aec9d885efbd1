"""The commune a citizen lives in: learned once, shown and changed with `/xa`.

Learned from the commune of a help request or a commune poster's link when none is known yet
(a later request from elsewhere does not move it: only the citizen does, with `/xa`), or
asked for ("Bác/anh/chị ở xã/phường nào?") when an answer needs it. Typed names go through
the places lookup, without diacritics too; the citizen confirms before it is kept.

Volunteers, leaders and operators keep `/xa` for the communes they serve (bot/support/team.py);
their own home commune is learned the same way, without a command to change it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.messages import IncomingMessage, Reply
from bot.state import ConversationState
from bot.support.common import Toolkit, Turn, command_button, form_button
from storage.models import PersonRow

__all__ = ["FLOW", "HomeDesk"]

FLOW = "home_commune"


class HomeDesk:
    """`/xa` for citizens and the one-question form behind it."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    def label(self, code: str | None) -> str | None:
        commune = self.kit.places.commune(code) if code else None
        return commune.label if commune is not None else None

    async def learn(self, turn: Turn, person: PersonRow, code: str | None) -> None:
        """Keep `code` as the person's commune if none is known yet (and it exists)."""
        if person.commune_code or not code or self.kit.places.commune(code) is None:
            return
        await turn.people.set_home_commune(person, code, turn.now)

    def ask(self, state: ConversationState) -> tuple[list[Reply], ConversationState]:
        cancel = command_button(self.t("cancel_button"), "huy")
        return [Reply(self.t("home_commune_ask"), (cancel,))], replace(
            state, flow=FLOW, step="name", form={}
        )

    async def command(
        self, turn: Turn, person: PersonRow, arg: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        """`/xa`: show (or ask); `/xa doi`: ask again; `/xa <name or code>`: look it up."""
        words = arg.strip()
        if words.lower() in ("doi", "đổi"):
            return self.ask(state)
        if words:
            return await self.lookup(turn, person, words, state)
        current = self.label(person.commune_code)
        if current is None:
            return self.ask(state)
        change = command_button(self.t("home_commune_change_button"), "xa", "doi")
        return [Reply(self.t("home_commune_is", commune=current), (change,))], state

    async def answer(
        self,
        turn: Turn,
        person: PersonRow,
        message: IncomingMessage,
        state: ConversationState,
        choice: str | None,
    ) -> tuple[list[Reply], ConversationState]:
        if choice == "retry":
            return self.ask(state)
        if choice is not None:
            return await self.lookup(turn, person, choice, state)
        return await self.lookup(turn, person, message.text or "", state)

    async def lookup(
        self, turn: Turn, person: PersonRow, text: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        places = self.kit.places
        commune = places.commune(text.strip())
        if commune is not None:  # a code: a pressed button, or typed by someone who knows it
            await turn.people.set_home_commune(person, commune.code, turn.now)
            await turn.audit.record("home_commune", turn.now, person.id, commune.code)
            done = replace(state, flow=None, step=None, form={})
            return [Reply(self.t("home_commune_saved", commune=commune.label))], done
        match = places.search(text)
        asking = replace(state, flow=FLOW, step="name", form={})
        if match.status == "none":
            cancel = command_button(self.t("cancel_button"), "huy")
            return [Reply(self.t("home_commune_unknown"), (cancel,))], asking
        options = tuple(form_button(c.label, "name", c.code) for c in match.candidates)
        retry = form_button(self.t("place_not_this_button"), "name", "retry")
        if match.status == "found":
            text = self.t("intake_place_confirm", place=match.candidates[0].label)
        else:
            text = self.t("home_commune_which")
        return [Reply(text, (*options, retry))], asking
