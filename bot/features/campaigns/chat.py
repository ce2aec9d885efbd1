"""/nhantin and /tatnhantin: a citizen opts in to news of their commune, and out again.

Nobody receives a campaign without opting in: the subscription row is the only way onto a
campaign's recipient list. It records the commune (and its province), when, and on which
channel the citizen asked. A citizen whose commune is not known yet is asked for it (typed
with or without diacritics, read by the places lookup) and it is remembered as their own.
"""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Reply
from bot.state import ConversationState
from bot.support.common import Toolkit, Turn, command_button, form_button
from intents.places import Commune
from storage.campaigns import SubscriptionRepository
from storage.models import PersonRow

__all__ = ["FLOW", "SubscriptionDesk"]

FLOW = "nhantin"
MAX_TRIES = 3


class SubscriptionDesk:
    """Opt in, opt out, and what /dulieu shows of it."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def subscribe(
        self, turn: Turn, person: PersonRow, channel: str, arg: str, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        """`/nhantin [commune]`: the commune typed, else the one known, else ask for it."""
        if arg:
            return await self._read_place(turn, person, channel, arg, state, tries=0)
        known = self.kit.places.commune(person.commune_code) if person.commune_code else None
        if known is not None:
            return [await self._confirm(turn, person, channel, known)], state
        asked = replace(state, flow=FLOW, step="commune", form={"tries": 0})
        return [Reply(self.t("subscribe_ask_place"))], asked

    async def answer(
        self,
        turn: Turn,
        person: PersonRow,
        channel: str,
        text: str,
        choice: str | None,
        state: ConversationState,
    ) -> tuple[list[Reply], ConversationState]:
        """The commune typed (or chosen by button) after /nhantin asked for it."""
        done = replace(state, flow=None, step=None, form={})
        if choice is not None:
            commune = self.kit.places.commune(choice)
            if commune is None:
                return [Reply(self.t("expired_button"))], done
            return [await self._confirm(turn, person, channel, commune)], done
        tries = int(state.form.get("tries", 0)) + 1
        return await self._read_place(turn, person, channel, text, state, tries=tries)

    async def _read_place(
        self,
        turn: Turn,
        person: PersonRow,
        channel: str,
        text: str,
        state: ConversationState,
        tries: int,
    ) -> tuple[list[Reply], ConversationState]:
        done = replace(state, flow=None, step=None, form={})
        places = self.kit.places
        direct = places.commune(text.strip())
        if direct is not None:
            return [await self._confirm(turn, person, channel, direct)], done
        match = places.search(text)
        if match.status == "found":
            return [await self._confirm(turn, person, channel, match.candidates[0])], done
        if tries >= MAX_TRIES:
            return [Reply(self.t("subscribe_place_give_up"))], done
        waiting = replace(state, flow=FLOW, step="commune", form={"tries": tries})
        if match.status == "ambiguous" and match.candidates:
            buttons = tuple(form_button(c.label, "commune", c.code) for c in match.candidates[:5])
            return [Reply(self.t("subscribe_place_which"), buttons)], waiting
        return [Reply(self.t("subscribe_place_unknown"))], waiting

    async def _confirm(
        self, turn: Turn, person: PersonRow, channel: str, commune: Commune
    ) -> Reply:
        if person.commune_code != commune.code:
            await turn.people.set_home_commune(person, commune.code, turn.now)
        await SubscriptionRepository(turn.session).subscribe(
            person.id, commune.code, commune.province_code, channel, turn.now
        )
        stop = command_button(self.t("campaign_stop_button"), "tatnhantin")
        return Reply(self.t("subscribe_done", place=commune.label), (stop,))

    async def unsubscribe(self, turn: Turn, person: PersonRow) -> list[Reply]:
        removed = await SubscriptionRepository(turn.session).unsubscribe(person.id)
        return [Reply(self.t("unsubscribe_done" if removed else "unsubscribe_none"))]
