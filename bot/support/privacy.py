"""A citizen sees and deletes what the bot stores about them (Law 91/2025/QH15)."""

from __future__ import annotations

from bot.messages import Reply
from bot.support.common import Toolkit, Turn, command_button, show_ref
from storage.campaigns import SubscriptionRepository
from storage.console import ConsoleRepository
from storage.helpdays import HelpDayRepository
from storage.inbox import InboxRepository
from storage.models import PersonRow
from storage.questions import QuestionLogRepository
from storage.vocabulary import REQUEST_STATUSES, ROLES, TOPICS

__all__ = ["PrivacyDesk", "mask_phone"]


def mask_phone(phone: str) -> str:
    """0912345678 -> 091****678: enough to recognise, not enough to misuse."""
    return phone[:3] + "*" * max(len(phone) - 6, 0) + phone[-3:] if len(phone) > 6 else "***"


class PrivacyDesk:
    """/dulieu shows, /xoadulieu deletes (after a confirmation button)."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def show(self, turn: Turn, person: PersonRow) -> list[Reply]:
        identities = await turn.people.identities(person.id)
        requests = await turn.requests.of_citizen(person.id)
        lines = [
            self.t(
                "data_head",
                handle=person.handle,
                role=ROLES[person.role],
                # The person's own ids: also what an operator puts in TROLYSO_OPERATORS.
                channels=", ".join(sorted({f"{i.channel}:{i.external_id}" for i in identities})),
                since=person.created_at.strftime("%d/%m/%Y"),
            )
        ]
        commune = self.kit.places.commune(person.commune_code) if person.commune_code else None
        if commune is not None:
            lines.append(self.t("data_commune", commune=commune.label))
        relayed = 0
        for request in requests:
            relayed += len(await turn.requests.relayed(request))
            lines.append(
                self.t(
                    "data_request",
                    ref=show_ref(request.ref),
                    topic=TOPICS.get(request.topic, request.topic),
                    status=REQUEST_STATUSES.get(request.status, request.status),
                    phone=mask_phone(request.phone) if request.phone else self.t("data_no_phone"),
                )
            )
        subscription = await SubscriptionRepository(turn.session).get(person.id)
        if subscription is not None:
            commune = self.kit.places.commune(subscription.commune_code)
            lines.append(
                self.t(
                    "data_subscription",
                    place=commune.label if commune else subscription.commune_code,
                    since=subscription.created_at.strftime("%d/%m/%Y"),
                )
            )
        lines.append(self.t("data_tail", requests=len(requests), messages=relayed))
        delete = command_button(self.t("delete_data_button"), "xoadulieu")
        return [Reply("\n".join(lines), (delete,))]

    async def delete(self, turn: Turn, person: PersonRow, confirmed: bool) -> list[Reply]:
        if not confirmed:
            sure = command_button(self.t("delete_confirm_button"), "xoadulieu", "xacnhan")
            return [Reply(self.t("delete_confirm"), (sure,))]
        open_request = await turn.requests.open_for_citizen(person.id)
        if open_request is not None:
            open_request.status = "cancelled"
            await turn.requests.event(open_request, "cancelled", turn.now, person.id)
            await turn.timers.cancel(open_request.id, ("escalate", "giveup", "idle"), turn.now)
        count = await turn.requests.anonymize_citizen(person.id)
        chats = [(i.channel, i.external_id) for i in await turn.people.identities(person.id)]
        # What the channels kept: stored deliveries (masked) and the messages sent to them.
        await InboxRepository(turn.session).forget_chats(chats, turn.now)
        await turn.outbox.forget_person(chats, person.id)
        # Missed questions the person asked (masked, but theirs) and any console access.
        await QuestionLogRepository(turn.session).forget_person(person.id)
        await ConsoleRepository(turn.session).forget_person(person.id)
        await HelpDayRepository(turn.session).forget_person(person.id)  # reminder wishes
        await SubscriptionRepository(turn.session).forget_person(person.id)
        await turn.people.forget(person, turn.now)
        await turn.audit.record("data_deleted", turn.now, None, person.handle, requests=count)
        return [Reply(self.t("delete_done"))]
