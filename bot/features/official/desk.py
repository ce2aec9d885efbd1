"""`/gui [words]`: a volunteer sends the checked FAQ answer to the citizen they are helping.

In a relaying session the volunteer types `/gui` and a few words (or nothing: the citizen's
last message in the session is used) and gets the top matching FAQ answers as buttons.
Pressing one (`/gui #<intent id>`) sends that answer to the citizen, marked as the official
answer, with a button for its sources; the session's events record which answer was sent.
Volunteers stop retyping the same steps, and citizens get the wording that was checked.
"""

from __future__ import annotations

from bot.dialogue import HELP_INTENT, Dialogue
from bot.messages import Button, Reply
from bot.payloads import encode
from bot.support.common import Toolkit, Turn, command_button, show_ref
from content.schema import Intent
from storage.models import HelpRequestRow, PersonRow

__all__ = ["CHOICE", "OfficialDesk"]

CHOICE = "#"  # `/gui #vneid.register`: the button a volunteer pressed
TOP = 3
MAX_QUERY = 300


class OfficialDesk:
    """Suggest answers to a volunteer; send the chosen one to the citizen."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def handle(
        self,
        turn: Turn,
        volunteer: PersonRow,
        request: HelpRequestRow | None,
        arg: str,
        dialogue: Dialogue,
    ) -> list[Reply]:
        if request is None:
            return [Reply(self.t("official_no_session"))]
        if arg.startswith(CHOICE):
            return await self._send(turn, volunteer, request, arg[1:].strip(), dialogue)
        return await self._suggest(turn, request, arg, dialogue)

    async def _suggest(
        self, turn: Turn, request: HelpRequestRow, arg: str, dialogue: Dialogue
    ) -> list[Reply]:
        query = arg.strip()
        if not query:
            said = [r for r in await turn.requests.relayed(request) if r.sender == "citizen"]
            query = said[-1].text if said else (request.description or "")
        if not query.strip():
            return [Reply(self.t("official_usage"))]
        _, ranked = dialogue.matcher.rank(query[:MAX_QUERY], limit=TOP * 4)
        found: list[Intent] = []
        for candidate in ranked:
            intent = dialogue.content.intents.get(candidate.intent)
            if intent is None or not _answerable(intent) or intent in found:
                continue
            found.append(intent)
            if len(found) == TOP:
                break
        if not found:
            return [Reply(self.t("official_nothing", query=query[:80]))]
        buttons = tuple(command_button(i.title[:60], "gui", CHOICE + i.id) for i in found)
        return [Reply(self.t("official_choose", query=query[:80]), buttons)]

    async def _send(
        self,
        turn: Turn,
        volunteer: PersonRow,
        request: HelpRequestRow,
        intent_id: str,
        dialogue: Dialogue,
    ) -> list[Reply]:
        intent = dialogue.content.intents.get(intent_id)
        if intent is None or not _answerable(intent):
            return [Reply(self.t("expired_button"))]
        if request.citizen_external_id is None:  # the citizen deleted their data
            return [Reply(self.t("official_citizen_gone"))]
        sources = Button(dialogue.text.sources_button, encode("sources", intent.id))
        name = volunteer.display_name or self.t("volunteer_default_name")
        head = self.t("official_head", name=name)
        await turn.notify(
            request.citizen_channel,
            request.citizen_external_id,
            Reply(f"{head}\n{intent.answer}", (sources,), intent=intent.id),
            sender_id=volunteer.id,
        )
        await turn.requests.event(
            request, "official_answer", turn.now, volunteer.id, intent=intent.id
        )
        return [Reply(self.t("official_sent", title=intent.title, ref=show_ref(request.ref)))]


def _answerable(intent: Intent) -> bool:
    """An FAQ answer worth sending: not small talk, not a topic the bot declines."""
    return not intent.out_of_scope and intent.topic != "bot" and intent.id != HELP_INTENT
