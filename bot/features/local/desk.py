"""The Assistant's one door to issue 15's chat parts: the citizen's commune (`/xa`), local
details (`/diaphuong`, the blocks appended to answers), help days (`/sukien`, `/nhactoi`).

Kept here so that bot/assistant.py only routes: which forms and commands are these, and
where an answer passes through to get its local part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot.features.helpdays import form as helpday_form
from bot.features.helpdays.board import HelpDayBoard
from bot.features.helpdays.form import HelpDayDesk
from bot.features.local import form as local_form
from bot.features.local import home
from bot.features.local.blocks import LocalBlocks
from bot.features.local.form import LocalDetailsDesk
from bot.features.local.home import HomeDesk
from bot.messages import IncomingMessage, Reply
from bot.state import ConversationState
from bot.support import intake
from bot.support.common import Toolkit, Turn
from storage.models import PersonRow

__all__ = ["COMMANDS", "FLOWS", "LocalDesk"]

FLOWS = frozenset({home.FLOW, local_form.FLOW, helpday_form.FLOW})
COMMANDS = frozenset({"sukien", "nhactoi", "diaphuong"})  # and /xa for citizens
Answered = tuple[list[Reply], ConversationState]


class LocalDesk:
    """Commune, local details and help days, for the Assistant."""

    def __init__(self, kit: Toolkit) -> None:
        self.t = kit.texts
        self.home = HomeDesk(kit)
        self.board = HelpDayBoard(kit)
        self.blocks = LocalBlocks(kit, self.board)
        self.details = LocalDetailsDesk(kit, self.blocks)
        self.helpdays = HelpDayDesk(kit, self.board, self.home)

    async def learn(self, turn: Turn, person: PersonRow, code: str | None) -> None:
        await self.home.learn(turn, person, code)

    async def localize(
        self,
        turn: Turn,
        person: PersonRow,
        before: ConversationState,
        answered: Answered,
        config: Mapping[str, Sequence[str]],
    ) -> Answered:
        """The local details content/config.yaml asks for; the next help days beside the
        volunteer offer (the intake form just started) when the citizen's commune is known."""
        replies, after = answered
        replies = await self.blocks.decorate(turn, person, replies, config)
        if after.flow == intake.FLOW and before.flow != intake.FLOW and person.commune_code:
            intro = self.t("helpday_offer_intro")
            offer = await self.board.replies(turn, person.commune_code, intro=intro)
            replies = [*offer, *replies]
        return replies, after

    async def answer(
        self,
        turn: Turn,
        person: PersonRow,
        message: IncomingMessage,
        state: ConversationState,
        choice: str | None,
        config: Mapping[str, Sequence[str]],
    ) -> Answered:
        """The next answer of one of FLOWS."""
        if state.flow == local_form.FLOW:
            return await self.details.answer(turn, person, message, state, choice)
        if state.flow == helpday_form.FLOW:
            return await self.helpdays.answer(turn, person, message, state, choice)
        replies, after = await self.home.answer(turn, person, message, state, choice)
        wanted = config.get(state.last_intent or "")
        if after.flow is None and wanted and person.commune_code:
            # Asked because an answer needed it: now give that answer's local part.
            replies += await self.blocks.for_commune(turn, person.commune_code, wanted)
        return replies, after

    async def command(
        self, turn: Turn, person: PersonRow, name: str, arg: str, state: ConversationState
    ) -> Answered:
        """/xa (a citizen's), /sukien, /nhactoi, /diaphuong; roles are checked by the caller."""
        cleared = replace(state, flow=None, step=None, form={})  # commands end forms
        match name:
            case "xa":
                return await self.home.command(turn, person, arg, cleared)
            case "sukien":
                return await self.helpdays.command(turn, person, arg, state)
            case "nhactoi":
                return await self.board.remind(turn, person, arg), state
        return await self.details.start(turn, person, cleared)
