"""Who may send a campaign where, how often, and its life: draft -> sending <-> paused -> end.

Every step is audited. A team leader reaches only the communes they serve (their team's and
those assigned to them); an operator any province of the deployment. At most one campaign a
day reaches a commune (a province campaign reaches all of its communes) unless an operator
allows more for this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.console.scope import Scope
from intents.places import Commune, Places, Province
from storage.audit import AuditRepository
from storage.campaign_models import CampaignRow
from storage.campaigns import Audience, CampaignRepository

__all__ = [
    "LOCAL_TIME",
    "MAX_TEXT",
    "OPERATOR",
    "CampaignError",
    "Target",
    "cancel",
    "create",
    "dry_run",
    "may_reach",
    "pause",
    "record_refusal",
    "resolve_target",
    "resume",
    "sees",
    "start",
]

LOCAL_TIME = timezone(timedelta(hours=7))  # the "day" of the one-a-day rule is Vietnam's
MAX_TEXT = 1500  # leaves room for the way out and fits every platform's message limit


class CampaignError(Exception):
    """A refusal, with the support.yaml key of its Vietnamese explanation."""

    def __init__(self, key: str, **fields: str) -> None:
        super().__init__(key)
        self.key = key
        self.fields = fields


@dataclass(frozen=True, slots=True)
class Target:
    province: Province
    commune: Commune | None

    @property
    def label(self) -> str:
        return self.commune.label if self.commune is not None else self.province.name


def resolve_target(places: Places, province: str, commune: str | None) -> Target:
    """Read the names an operator typed (diacritics optional); CampaignError if unknown."""
    found = places.find_province(province) or places.province(province.strip())
    if found is None:
        raise CampaignError("campaign_unknown_province", name=province[:60])
    if not commune:
        return Target(found, None)
    place = places.commune(commune.strip())
    if place is None or place.province_code != found.code:
        match = places.search(f"{commune} {found.name}")
        if match.status != "found":
            raise CampaignError("campaign_unknown_commune", name=commune[:60])
        place = match.candidates[0]
    if place.province_code != found.code:
        raise CampaignError("campaign_unknown_commune", name=commune[:60])
    return Target(found, place)


def may_reach(scope: Scope, target: Target) -> bool:
    """An operator: any province served; a leader: only a commune they serve."""
    if scope.is_operator:
        return scope.provinces is None or target.province.code in scope.provinces
    return target.commune is not None and target.commune.code in scope.communes


async def create(
    session: AsyncSession,
    scope: Scope,
    actor_id: int | None,
    target: Target,
    text: str,
    button_intent: str | None,
    now: datetime,
) -> CampaignRow:
    """A draft, checked; audited."""
    text = text.strip()
    if not text:
        raise CampaignError("campaign_empty")
    if len(text) > MAX_TEXT:
        raise CampaignError("campaign_too_long", limit=str(MAX_TEXT), length=str(len(text)))
    if not may_reach(scope, target):
        raise CampaignError("campaign_not_yours", place=target.label)
    campaign = await CampaignRepository(session).create(
        target.province.code,
        target.commune.code if target.commune else None,
        text,
        button_intent,
        actor_id,
        now,
    )
    await AuditRepository(session).record(
        "campaign_created", now, actor_id, f"campaign:{campaign.id}", place=target.label
    )
    return campaign


async def record_refusal(
    session: AsyncSession, actor_id: int | None, error: CampaignError, now: datetime
) -> None:
    """Audit a refusal to reach a place outside one's scope (in the caller's new transaction:
    the refused one is rolled back)."""
    if error.key == "campaign_not_yours":
        await AuditRepository(session).record(
            "denied", now, actor_id, "campaign", place=error.fields.get("place", "")[:80]
        )


async def dry_run(session: AsyncSession, campaign: CampaignRow, now: datetime) -> Audience:
    return await CampaignRepository(session).audience(campaign, now)


async def start(
    session: AsyncSession,
    scope: Scope,
    actor_id: int | None,
    campaign_id: int,
    now: datetime,
    *,
    allow_more: bool = False,
) -> CampaignRow:
    """Write the recipients and let the senders go; CampaignError if refused."""
    campaigns = CampaignRepository(session)
    campaign = await campaigns.get(campaign_id, lock=True)
    if campaign is None or not sees(scope, campaign):
        raise CampaignError("campaign_not_found", id=str(campaign_id))
    if campaign.status != "draft":
        raise CampaignError("campaign_already_started", id=str(campaign_id))
    if allow_more and not scope.is_operator:
        allow_more = False  # only an operator lifts the one-a-day rule
    day = now.astimezone(LOCAL_TIME).date()
    if not allow_more and await campaigns.same_day(
        campaign.province_code, campaign.commune_code, day, campaign.id
    ):
        raise CampaignError("campaign_daily_limit")
    campaign.day, campaign.extra_allowed = day, allow_more
    campaign.status, campaign.started_at = "sending", now
    recipients = await campaigns.add_recipients(campaign, now)
    if (await campaigns.summary(campaign.id)).pending == 0:  # nobody to send to: done now
        campaign.status, campaign.finished_at = "done", now
    await AuditRepository(session).record(
        "campaign_started",
        now,
        actor_id,
        f"campaign:{campaign.id}",
        recipients=recipients,
        extra_allowed=allow_more,
    )
    return campaign


def sees(scope: Scope, campaign: CampaignRow) -> bool:
    if scope.is_operator:
        return scope.provinces is None or campaign.province_code in scope.provinces
    return campaign.commune_code is not None and campaign.commune_code in scope.communes


async def _change(
    session: AsyncSession,
    scope: Scope,
    actor_id: int | None,
    campaign_id: int,
    now: datetime,
    allowed_from: tuple[str, ...],
    to: str,
) -> CampaignRow:
    campaigns = CampaignRepository(session)
    campaign = await campaigns.get(campaign_id, lock=True)
    if campaign is None or not sees(scope, campaign):
        raise CampaignError("campaign_not_found", id=str(campaign_id))
    if campaign.status not in allowed_from:
        raise CampaignError("campaign_wrong_state", id=str(campaign_id))
    campaign.status = to
    if to == "cancelled":
        await campaigns.cancel_pending(campaign.id)
        campaign.finished_at = now
    await AuditRepository(session).record(
        f"campaign_{to}", now, actor_id, f"campaign:{campaign.id}"
    )
    return campaign


async def pause(
    session: AsyncSession, scope: Scope, actor_id: int | None, campaign_id: int, now: datetime
) -> CampaignRow:
    return await _change(session, scope, actor_id, campaign_id, now, ("sending",), "paused")


async def resume(
    session: AsyncSession, scope: Scope, actor_id: int | None, campaign_id: int, now: datetime
) -> CampaignRow:
    return await _change(session, scope, actor_id, campaign_id, now, ("paused",), "sending")


async def cancel(
    session: AsyncSession, scope: Scope, actor_id: int | None, campaign_id: int, now: datetime
) -> CampaignRow:
    return await _change(
        session, scope, actor_id, campaign_id, now, ("draft", "sending", "paused"), "cancelled"
    )


OPERATOR = Scope("operator")  # the command line: the deployment's own operator
