"""/admin/campaigns: compose a campaign, see the dry run, send, pause, resume, cancel, summary.

A team leader composes for a commune they serve; an operator for a commune or a whole
province of the deployment. Composing stores a draft (audited) and shows how many would
receive it per channel and how many cannot be reached; "Gửi" starts it (the one-a-day rule
applies; an operator may lift it for this campaign). The campaign's id travels in the query
string and the forms, so the route table stays flat.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from bot.features.campaigns import labels, rules
from bot.features.campaigns.rules import CampaignError, Target
from bot.features.console.context import Forbidden, NotFound, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from storage.campaign_models import CampaignRow
from storage.campaigns import CampaignRepository

__all__ = ["console_routes"]

ACTIONS = ("start", "pause", "resume", "cancel")


def _texts(page: Page, error: CampaignError) -> str:
    live = page.console.live
    if live is not None:
        return live.content.support(error.key, **error.fields)
    return "Không thực hiện được yêu cầu này."


async def _campaign(page: Page, raw: str) -> CampaignRow:
    if not raw.isdecimal() or len(raw) > 9:
        raise NotFound
    campaign = await CampaignRepository(page.db).get(int(raw))
    if campaign is None:
        raise NotFound
    if not rules.sees(page.scope, campaign):
        raise Forbidden
    return campaign


def _place(page: Page, campaign: CampaignRow) -> str:
    places = page.console.places
    if campaign.commune_code is not None:
        commune = places.commune(campaign.commune_code)
        return commune.label if commune else campaign.commune_code
    province = places.province(campaign.province_code)
    return province.name if province else campaign.province_code


def _my_communes(page: Page) -> list[tuple[str, str]]:
    places = page.console.places
    found = [places.commune(code) for code in sorted(page.scope.communes)]
    return [(c.code, c.label) for c in found if c is not None]


async def campaigns(page: Page, error: str = "", status: int = 200) -> Response:
    chosen = page.query("id")
    if chosen:
        return await _detail(page, await _campaign(page, chosen), error, status)
    scope = page.scope
    provinces = sorted(scope.provinces) if scope.is_operator and scope.provinces else None
    rows = await CampaignRepository(page.db).recent(100, provinces)
    visible = [(c, _place(page, c)) for c in rows if rules.sees(scope, c)]
    return page.render(
        "campaigns.html",
        status=status,
        title="Gửi tin cho người đăng ký",
        campaigns=visible,
        statuses=labels.STATUSES,
        operator=scope.is_operator,
        communes=_my_communes(page),
        form=page.form,
        error=error,
        max_text=rules.MAX_TEXT,
    )


def _target(page: Page) -> Target:
    places = page.console.places
    commune = page.form.get("xa", "").strip()[:120]
    if not page.scope.is_operator:
        found = places.commune(commune)
        if found is None:
            raise CampaignError("campaign_unknown_commune", name=commune[:60])
        province = places.province(found.province_code)
        assert province is not None
        return Target(province, found)
    return rules.resolve_target(places, page.form.get("tinh", "")[:120], commune or None)


async def compose(page: Page) -> Response:
    """POST: store a draft and show its dry run; a refusal re-shows the form (422)."""
    text = page.form.get("noi-dung", "").replace("\r\n", "\n")
    button = page.form.get("nut", "").strip()[:80] or None
    live = page.console.live
    if button is not None and live is not None and button not in live.content.intents:
        button = None
    try:
        target = _target(page)
        campaign = await rules.create(
            page.db, page.scope, page.person.id, target, text, button, page.now
        )
    except CampaignError as error:
        await rules.record_refusal(page.db, page.person.id, error, page.now)
        return await campaigns(page, _texts(page, error), 422)
    return RedirectResponse(f"{PREFIX}/campaigns?id={campaign.id}", status_code=303)


async def _detail(page: Page, campaign: CampaignRow, error: str, status: int) -> Response:
    repository = CampaignRepository(page.db)
    audience = (
        await repository.audience(campaign, page.now) if campaign.status == "draft" else None
    )
    summary = await repository.summary(campaign.id)
    return page.render(
        "campaign.html",
        status=status,
        title=f"Đợt gửi tin #{campaign.id}",
        campaign=campaign,
        place=_place(page, campaign),
        audience=audience,
        summary=summary,
        statuses=labels.STATUSES,
        reasons=labels.REASONS,
        channels=labels.CHANNELS,
        operator=page.scope.is_operator,
        error=error,
    )


async def act(page: Page) -> Response:
    """POST: start, pause, resume or cancel one campaign."""
    campaign = await _campaign(page, page.form.get("id", "")[:12])
    action = page.form.get("viec", "")
    if action not in ACTIONS:
        raise NotFound
    try:
        if action == "start":
            await rules.start(
                page.db,
                page.scope,
                page.person.id,
                campaign.id,
                page.now,
                allow_more=page.form.get("them") == "1",
            )
        else:
            change = getattr(rules, action)
            await change(page.db, page.scope, page.person.id, campaign.id, page.now)
    except CampaignError as error:
        return await _detail(page, campaign, _texts(page, error), 422)
    return RedirectResponse(f"{PREFIX}/campaigns?id={campaign.id}", status_code=303)


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute("/campaigns", campaigns, nav=NavItem("Gửi tin", "/campaigns", order=40)),
        ConsoleRoute("/campaigns", compose, methods=("POST",)),
        ConsoleRoute("/campaigns/action", act, methods=("POST",)),
    ]
