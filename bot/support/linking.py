"""One person on two channels: `/lienket`, with the first channel's consent.

`/lienket` on channel A gives a code; `/lienket CODE` on channel B asks A to confirm; A's
"Đồng ý" (`/lienket xacnhan CODE`) makes the link and both are told. A code alone never hands
over an identity, its role and its phone number; wrong codes are limited and audited.
"""

from __future__ import annotations

from datetime import timedelta

from bot.messages import IncomingMessage, Reply
from bot.support.common import Toolkit, Turn, channel_name, command_button
from bot.support.limits import CODE_GUESSES
from storage.codes import normalize_code
from storage.models import PersonRow

__all__ = ["LinkDesk"]


class LinkDesk:
    """/lienket: ask for a code, use it on another channel, confirm or refuse."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def handle(
        self, turn: Turn, person: PersonRow, message: IncomingMessage, arg: str
    ) -> list[Reply]:
        """`/lienket [CODE | xacnhan CODE | tuchoi CODE]` (see the module's note)."""
        words = arg.split()
        if not words:
            created = await turn.people.new_link_code(person, turn.now + timedelta(minutes=15))
            return [Reply(self.t("link_code", code=created))]
        if words[0].lower() in ("xacnhan", "tuchoi") and len(words) == 2:
            return await self._settle(turn, person, words[0].lower(), words[1])
        channel, chat = message.key.channel, message.key.user_id
        subjects = CODE_GUESSES.subjects(person.id, channel, chat)
        wait = await CODE_GUESSES.locked_for(turn, "link", subjects)
        if wait is not None:
            await turn.audit.record("link_rejected", turn.now, person.id, reason="locked")
            return [Reply(self.t("code_locked", minutes=wait))]
        code = normalize_code(arg)
        owner = await turn.people.request_link(code, turn.now, channel, chat)
        if owner is None:
            await CODE_GUESSES.failed(turn, "link", subjects, person.id, "unknown")
            return [Reply(self.t("link_code_invalid"))]
        if owner.id == person.id:
            return [Reply(self.t("link_same_person"))]
        buttons = (
            command_button(self.t("link_confirm_button"), "lienket", "xacnhan", code),
            command_button(self.t("link_refuse_button"), "lienket", "tuchoi", code),
        )
        prompt = Reply(self.t("link_confirm_prompt", channel=channel_name(channel)), buttons)
        if not await turn.notify_person(owner.id, prompt):
            return [Reply(self.t("link_code_invalid"))]
        await turn.audit.record(
            "link_requested", turn.now, owner.id, owner.handle, channel=channel
        )
        return [Reply(self.t("link_waiting"))]

    async def _settle(self, turn: Turn, owner: PersonRow, answer: str, code: str) -> list[Reply]:
        """The original account confirms or refuses a link another chat asked for."""
        waiting = await turn.people.settle_link(normalize_code(code), owner.id, turn.now)
        if waiting is None:
            return [Reply(self.t("link_code_invalid"))]
        channel, chat = waiting
        if answer == "tuchoi":
            await turn.audit.record(
                "link_refused", turn.now, owner.id, owner.handle, channel=channel
            )
            await turn.notify(channel, chat, Reply(self.t("link_declined")))
            return [Reply(self.t("link_refused"))]
        identity = await turn.people.identity(channel, chat)
        if identity is None:  # the asking chat deleted its data meanwhile
            return [Reply(self.t("link_code_invalid"))]
        await turn.people.link(owner, identity)
        await turn.audit.record(
            "channel_linked", turn.now, owner.id, owner.handle, channel=channel
        )
        await turn.notify(channel, chat, Reply(self.t("link_done", handle=owner.handle)))
        return [Reply(self.t("link_confirmed", channel=channel_name(channel)))]
