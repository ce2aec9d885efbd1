"""Who may see what: every /admin route, called as every kind of visitor."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from bot.features.console.registry import discover
from bot.services import Bot
from intents.places import Places
from storage.models import AuditRow, PersonRow
from tests.console.conftest import LOCAL, World, console_app, csrf_of, sign_in

# path template -> expected status as (anonymous, volunteer, leader of commune A, operator).
# {a}/{b}: the request of commune A (the leader's) and of commune B (another team's).
# "POST ..." routes are posted with the session's CSRF token and no other field: the
# operator's attach is refused by the page (422: no such group), the others act (303).
# The learning loop: leaders see their communes' missed questions; anything that changes
# what the bot says (attach, dismiss, versions, revert) is for operators.
EXPECTED: dict[str, tuple[int, int, int, int]] = {
    "/": (401, 403, 200, 200),
    "/requests": (401, 403, 200, 200),
    "/requests/{a}": (401, 403, 200, 200),
    "/requests/{b}": (401, 403, 403, 200),
    "/audit": (401, 403, 403, 200),
    "/missed": (401, 403, 200, 200),
    "POST /missed/attach": (401, 403, 403, 422),
    "POST /missed/dismiss": (401, 403, 403, 303),
    "/versions": (401, 403, 403, 200),
    "POST /versions/0/revert": (401, 403, 403, 303),
    "/content/files": (401, 403, 403, 200),
    "/content/files/download/xlsx": (401, 403, 403, 200),
    "POST /content/files/check": (401, 403, 403, 422),
    "POST /content/files/publish": (401, 403, 403, 422),
    # The content studio publishes what the bot says: operators only (an empty form: 422).
    "/content": (401, 403, 403, 200),
    "/content/moi": (401, 403, 403, 200),
    "POST /content/moi": (401, 403, 403, 422),
    "/content/dvc.login": (401, 403, 403, 200),
    "POST /content/dvc.login": (401, 403, 403, 422),
    # Reports and support: leaders see their own team; a post without its fields is refused
    # politely by the page (422), not by the role check.
    "/reports": (401, 403, 200, 200),
    "/reports/download/xlsx": (401, 403, 200, 200),
    "/support": (401, 403, 200, 200),
    "/support/team": (401, 403, 200, 200),
    "POST /support/invites": (401, 403, 422, 422),
    "POST /support/invites/revoke": (401, 403, 422, 422),
    "/support/fieldlogs": (401, 403, 200, 200),
    "POST /support/fieldlogs": (401, 403, 422, 422),
    # Issue 15: a leader keeps their communes' details and help days; an empty form is
    # refused as bad input (422), a cancel naming no day finds none (404).
    "/local": (401, 403, 200, 200),
    "POST /local/save": (401, 403, 422, 422),
    "/helpdays": (401, 403, 200, 200),
    "POST /helpdays/save": (401, 403, 422, 422),
    "POST /helpdays/cancel": (401, 403, 404, 404),
    # Campaigns: a leader composes for their communes; an empty form is refused (422); an
    # action without a campaign id finds nothing (404).
    "/campaigns": (401, 403, 200, 200),
    "POST /campaigns": (401, 403, 422, 422),
    "POST /campaigns/action": (401, 403, 404, 404),
}
VISITORS = ("anonymous", "volunteer", "leader", "operator")


def test_every_console_route_is_in_the_table() -> None:
    """A new page must say here who may see it, or this test fails."""
    paths = {route.path for feature in discover() for route in feature.routes}
    listed = {
        p.removeprefix("POST ")
        .replace("{a}", "{ref}")
        .replace("{b}", "{ref}")
        .replace("/0/", "/{version}/")
        .replace("/files/download/xlsx", "/files/download/{kind}")
        .replace("/dvc.login", "/{intent}")
        .replace("/download/xlsx", "/download/{fmt}")
        for p in EXPECTED
    }
    assert listed == paths


async def _as(visitor: str, http: httpx.AsyncClient, bot: Bot, world: World) -> None:
    if visitor == "anonymous":
        return
    if visitor == "volunteer":  # no link is ever made for one: a leader demoted after signing in
        await sign_in(http, bot, world.ids["volunteer"])
        async with bot.sessions.begin() as session:
            person = await session.get(PersonRow, world.ids["volunteer"])
            assert person is not None
            person.role = "volunteer"
        return
    response = await sign_in(http, bot, world.ids[visitor])
    assert response.status_code == 303


@pytest.mark.parametrize("visitor", VISITORS)
async def test_each_route_answers_each_visitor_as_the_table_says(
    visitor: str, bot: Bot, places: Places, world: World
) -> None:
    if visitor == "volunteer":
        async with bot.sessions.begin() as session:  # a leader when the link was made
            person = await session.get(PersonRow, world.ids["volunteer"])
            assert person is not None
            person.role = "leader"
    transport = httpx.ASGITransport(app=console_app(bot, places))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        await _as(visitor, http, bot, world)
        column = VISITORS.index(visitor)
        page = await http.get("/admin/")
        csrf = csrf_of(page.text) if page.status_code == 200 else "none"
        for template, statuses in EXPECTED.items():
            method, _, rest = template.rpartition(" ")
            path = "/admin" + rest.format(a=world.ref_a, b=world.ref_b)
            if method == "POST":
                response = await http.post(path, data={"csrf": csrf})
            else:
                response = await http.get(path)
            assert response.status_code == statuses[column], (visitor, path)
            if response.status_code == 403:
                assert "Không có quyền truy cập" in response.text
                assert world.ref_b[2:] not in response.text  # nothing of the request leaks


async def test_refusals_are_audited(client: httpx.AsyncClient, bot: Bot, world: World) -> None:
    await sign_in(client, bot, world.ids["leader"])
    assert (await client.get(f"/admin/requests/{world.ref_b}")).status_code == 403
    async with bot.sessions() as session:
        rows = list(
            (
                await session.execute(select(AuditRow).where(AuditRow.action == "console_denied"))
            ).scalars()
        )
    assert [row.detail["path"] for row in rows] == [f"/admin/requests/{world.ref_b}"]
    assert rows[0].actor_id == world.ids["leader"]


async def test_a_leader_lists_only_their_communes(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    page = (await client.get("/admin/requests")).text
    assert "HT-AAAA" in page
    assert "HT-BBBB" not in page
    assert world.commune_a.label in page


async def test_an_operator_lists_everything(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    page = (await client.get("/admin/requests")).text
    assert "HT-AAAA" in page
    assert "HT-BBBB" in page
    assert "Nhật ký" in page  # the operator's menu has the audit log
    detail = (await client.get(f"/admin/requests/{world.ref_b}")).text
    assert "Cô Lan" in detail
    assert world.commune_b.label in detail


async def test_an_operator_sees_only_the_provinces_served(bot: Bot, world: World) -> None:
    served = Places.load(provinces=[world.commune_a.province_code])
    other = Places.load()
    # Move request B to another province than the one served.
    foreign = next(p for p in other.provinces() if p.code != world.commune_a.province_code)
    async with bot.sessions.begin() as session:
        from storage.models import HelpRequestRow

        row = (
            await session.execute(select(HelpRequestRow).where(HelpRequestRow.ref == world.ref_b))
        ).scalar_one()
        row.province_code = foreign.code
    transport = httpx.ASGITransport(app=console_app(bot, served, limited=True))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        await sign_in(http, bot, world.ids["operator"])
        assert (await http.get(f"/admin/requests/{world.ref_a}")).status_code == 200
        assert (await http.get(f"/admin/requests/{world.ref_b}")).status_code == 403
        listed = (await http.get("/admin/requests")).text
    assert "HT-AAAA" in listed
    assert "HT-BBBB" not in listed


async def test_the_audit_log_is_newest_first_and_paged(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    async with bot.sessions.begin() as session:
        for number in range(60):
            session.add(AuditRow(action="export", target=f"report-{number}", at=bot.clock()))
    await sign_in(client, bot, world.ids["operator"])
    first = (await client.get("/admin/audit")).text
    assert first.index("Đăng nhập trang quản trị") < first.index("report-59")
    assert "report-59" in first
    assert "report-5<" not in first
    assert "Trang 1/2" in first
    second = (await client.get("/admin/audit?trang=2")).text
    assert "report-0<" in second.replace("</td>", "<")
