"""`/guitin`: a team leader sends a campaign to their own commune from the chat.

    /guitin NỘI DUNG     a draft to the leader's commune, with its dry run and two buttons
    /guitin gui SỐ       send that draft (the one-a-day rule applies)
    /guitin huy SỐ       cancel it

Only the leader's own commune can be reached (their team's, or the single commune they
serve); a province, another commune or several communes are for the web console. The rules
and the audit are those of the console and `trolyso broadcast` (rules.py).
"""

from __future__ import annotations

from bot.features.campaigns import labels, rules
from bot.features.campaigns.rules import CampaignError
from bot.features.console.scope import scope_of
from bot.messages import Reply
from bot.support.common import Toolkit, Turn, command_button, typed_number
from storage.campaigns import CampaignRepository
from storage.models import PersonRow

__all__ = ["LeaderCampaigns"]


class LeaderCampaigns:
    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def handle(self, turn: Turn, person: PersonRow, arg: str) -> list[Reply]:
        scope = await scope_of(turn.session, person, self.kit.places, False)
        words = arg.split()
        try:
            if len(words) == 2 and words[0].lower() in ("gui", "huy"):
                number = typed_number(words[1])
                if number is None:
                    raise CampaignError("campaign_not_found", id=words[1][:12])
                if words[0].lower() == "huy":
                    await rules.cancel(turn.session, scope, person.id, number, turn.now)
                    return [Reply(self.t("campaign_chat_cancelled", id=str(number)))]
                campaign = await rules.start(turn.session, scope, person.id, number, turn.now)
                summary = await CampaignRepository(turn.session).summary(campaign.id)
                return [
                    Reply(
                        self.t("campaign_chat_started", id=str(number), count=str(summary.pending))
                    )
                ]
            if not arg.strip():
                return [Reply(self.t("campaign_chat_usage"))]
            communes = sorted(scope.communes)
            if scope.is_operator or len(communes) != 1:
                return [Reply(self.t("campaign_chat_use_console"))]
            commune = self.kit.places.commune(communes[0])
            province = self.kit.places.province(commune.province_code) if commune else None
            if commune is None or province is None:
                return [Reply(self.t("campaign_chat_use_console"))]
            target = rules.Target(province, commune)
            draft = await rules.create(turn.session, scope, person.id, target, arg, None, turn.now)
        except CampaignError as error:
            await rules.record_refusal(turn.session, person.id, error, turn.now)
            return [Reply(self.t(error.key, **error.fields))]
        audience = await CampaignRepository(turn.session).audience(draft, turn.now)
        buttons = (
            command_button(self.t("campaign_chat_send_button"), "guitin", "gui", str(draft.id)),
            command_button(self.t("campaign_chat_cancel_button"), "guitin", "huy", str(draft.id)),
        )
        preview = labels.describe_audience(target.label, audience)
        return [Reply(self.t("campaign_chat_draft", id=str(draft.id), preview=preview), buttons)]
