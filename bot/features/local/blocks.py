"""Local details appended to the answers content/config.yaml names (`local_blocks`).

An answer listed there gets, under a clear heading, what its team leader or an operator
entered for the citizen's commune (each field falling back on the province's default), and,
with "helpdays", the next help days. Nothing is appended for a field nobody entered: the bot
never guesses an address. A citizen whose commune is not known yet is asked for it, once per
answer, with a button.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot.features.helpdays.board import HelpDayBoard
from bot.messages import Reply
from bot.support.common import Toolkit, Turn, command_button
from storage.local import LocalDetails, LocalRepository
from storage.models import PersonRow

__all__ = ["LocalBlocks"]

FIELD_OF = {
    "desk": ("desk_address", "local_desk"),
    "hours": ("opening_hours", "local_hours"),
    "contact": ("contact", "local_contact"),
    "note": ("note", "local_note"),
}


class LocalBlocks:
    """Adds the local block to configured answers."""

    def __init__(self, kit: Toolkit, board: HelpDayBoard) -> None:
        self.kit = kit
        self.t = kit.texts
        self.board = board

    def block_text(self, commune_label: str, details: LocalDetails, wanted: Sequence[str]) -> str:
        """The heading and the known lines, in the configured order; "" if none is known."""
        lines = []
        for block in wanted:
            if block not in FIELD_OF:
                continue
            name, key = FIELD_OF[block]
            value = getattr(details, name)
            if value:
                lines.append(self.t(key, value=value))
        if not lines:
            return ""
        return "\n".join([self.t("local_heading", commune=commune_label), *lines])

    async def details_text(self, turn: Turn, code: str, wanted: Sequence[str]) -> str:
        commune = self.kit.places.commune(code)
        if commune is None:
            return ""
        details = await LocalRepository(turn.session).for_commune(code, commune.province_code)
        return self.block_text(commune.label, details, wanted)

    async def decorate(
        self,
        turn: Turn,
        person: PersonRow,
        replies: list[Reply],
        config: Mapping[str, Sequence[str]],
    ) -> list[Reply]:
        out: list[Reply] = []
        for reply in replies:
            wanted = config.get(reply.intent or "")
            if not wanted:
                out.append(reply)
                continue
            out.extend(await self.for_answer(turn, person, reply, wanted))
        return out

    async def for_answer(
        self, turn: Turn, person: PersonRow, reply: Reply, wanted: Sequence[str]
    ) -> list[Reply]:
        code = person.commune_code
        if (not code or self.kit.places.commune(code) is None) and person.role != "citizen":
            return [reply]  # their /xa lists the communes they serve: nothing to ask here
        if not code or self.kit.places.commune(code) is None:
            choose = command_button(self.t("home_commune_choose_button"), "xa")
            needs = self.t("local_needs_commune")
            text = f"{reply.text}\n\n{needs}"
            return [replace(reply, text=text, buttons=(choose, *reply.buttons))]
        block = await self.details_text(turn, code, wanted)
        answer = replace(reply, text=f"{reply.text}\n\n{block}") if block else reply
        more = await self.board.replies(turn, code) if "helpdays" in wanted else []
        return [answer, *more]

    async def for_commune(self, turn: Turn, code: str, wanted: Sequence[str]) -> list[Reply]:
        """The local part alone (after the citizen named their commune); [] if none known."""
        block = await self.details_text(turn, code, wanted)
        more = await self.board.replies(turn, code) if "helpdays" in wanted else []
        return [Reply(block), *more] if block else more
