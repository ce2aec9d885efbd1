"""/admin/campaigns through the real console application, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.services import Bot
from intents.places import Places
from storage.campaign_models import CampaignRow
from storage.campaigns import CampaignRepository, SubscriptionRepository
from storage.models import AuditRow, IdentityRow, PersonRow
from tests.console.conftest import LOCAL, World, console_app, csrf_of, sign_in


async def _subscribers(bot: Bot, world: World, count: int) -> None:
    async with bot.sessions.begin() as session:
        for number in range(count):
            person = PersonRow(handle=f"SUB{number:04d}", role="citizen", created_at=bot.clock())
            session.add(person)
            await session.flush()
            session.add(
                IdentityRow(
                    person_id=person.id,
                    channel="telegram",
                    external_id=f"t{number}",
                    last_seen_at=bot.clock(),
                )
            )
            await SubscriptionRepository(session).subscribe(
                person.id,
                world.commune_a.code,
                world.commune_a.province_code,
                "telegram",
                bot.clock(),
            )


async def _signed_in(http: httpx.AsyncClient, bot: Bot, world: World, who: str) -> str:
    assert (await sign_in(http, bot, world.ids[who])).status_code == 303
    return csrf_of((await http.get("/admin/campaigns")).text)


async def test_a_leader_composes_sees_the_dry_run_and_sends(
    bot: Bot, places: Places, world: World
) -> None:
    await _subscribers(bot, world, 3)
    transport = httpx.ASGITransport(app=console_app(bot, places))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        csrf = await _signed_in(http, bot, world, "leader")
        page = await http.get("/admin/campaigns")
        assert world.commune_a.label in page.text  # the leader's own commune to choose
        assert world.commune_b.label not in page.text
        text = "Thứ Bảy này có buổi hướng dẫn cài VNeID tại nhà văn hóa."
        made = await http.post(
            "/admin/campaigns",
            data={"csrf": csrf, "xa": world.commune_a.code, "noi-dung": text},
        )
        assert made.status_code == 303
        detail = await http.get(made.headers["location"])
        assert "Xem trước" in detail.text
        assert "3 người sẽ nhận" in detail.text
        async with bot.sessions() as session:
            [campaign] = await CampaignRepository(session).recent()
        sent = await http.post(
            "/admin/campaigns/action",
            data={"csrf": csrf, "id": str(campaign.id), "viec": "start"},
        )
        assert sent.status_code == 303
        shown = (await http.get(f"/admin/campaigns?id={campaign.id}")).text
        assert "Kết quả gửi" in shown
        assert "Đang chờ gửi" in shown
        # A second campaign to the same commune today is refused, politely.
        again = await http.post(
            "/admin/campaigns",
            data={"csrf": csrf, "xa": world.commune_a.code, "noi-dung": "Tin thứ hai"},
        )
        async with bot.sessions() as session:
            second = max((await CampaignRepository(session).recent()), key=lambda c: c.id)
        refused = await http.post(
            "/admin/campaigns/action",
            data={"csrf": csrf, "id": str(second.id), "viec": "start", "them": "1"},
        )
        assert again.status_code == 303
        assert refused.status_code == 422
        assert "mỗi ngày chỉ gửi một đợt" in refused.text.lower()


async def test_a_leader_cannot_reach_another_commune(
    bot: Bot, places: Places, world: World
) -> None:
    transport = httpx.ASGITransport(app=console_app(bot, places))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        csrf = await _signed_in(http, bot, world, "leader")
        response = await http.post(
            "/admin/campaigns",
            data={"csrf": csrf, "xa": world.commune_b.code, "noi-dung": "Tin"},
        )
        assert response.status_code == 422
        assert "không thuộc phạm vi" in response.text
    async with bot.sessions() as session:
        assert list((await session.execute(select(CampaignRow))).scalars()) == []
        denied = (
            await session.execute(select(AuditRow).where(AuditRow.action == "denied"))
        ).scalars()
        assert [row.target for row in denied] == ["campaign"]


async def test_a_leader_cannot_see_or_stop_a_province_campaign(
    bot: Bot, places: Places, world: World
) -> None:
    transport = httpx.ASGITransport(app=console_app(bot, places))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        csrf = await _signed_in(http, bot, world, "operator")
        province = places.province(world.commune_a.province_code)
        assert province is not None
        made = await http.post(
            "/admin/campaigns",
            data={"csrf": csrf, "tinh": province.name, "xa": "", "noi-dung": "Tin cả tỉnh"},
        )
        assert made.status_code == 303
    async with bot.sessions() as session:
        [campaign] = await CampaignRepository(session).recent()
    assert campaign.commune_code is None
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        csrf = await _signed_in(http, bot, world, "leader")
        assert (await http.get(f"/admin/campaigns?id={campaign.id}")).status_code == 403
        cancel = await http.post(
            "/admin/campaigns/action",
            data={"csrf": csrf, "id": str(campaign.id), "viec": "cancel"},
        )
        assert cancel.status_code == 403
    async with bot.sessions() as session:
        still = await CampaignRepository(session).get(campaign.id)
        assert still is not None
        assert still.status == "draft"
