"""The learning loop through the console's HTTP routes: grouped missed questions, attach
(a gated, published, audited content version the bot answers with at once), dismiss,
refusals, the versions page and revert. Real ASGI app, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.services import Bot
from storage.console_models import MissedQuestionRow
from storage.content_versions import ContentVersionRow
from storage.models import AuditRow
from tests.console.conftest import World, csrf_of, sign_in
from tests.support.conftest import FakeClock

SWIMMING = [  # fall back today; the matcher's first suggestion is oos.education
    "đăng ký học bơi cho con ở đâu",
    "dang ky hoc boi cho con o dau",
    "cho con đi học bơi đăng ký thế nào",
]
# The unmarked copy reads the same to the matcher: added once.
ADDED = [SWIMMING[0], SWIMMING[2]]
WEATHER = ["hôm nay trời có mưa không", "hom nay troi co mua khong"]
CAT = "mất con mèo thì báo ai"


async def _seed(bot: Bot, world: World, clock: FakeClock) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    async with bot.sessions.begin() as session:
        rows: list[tuple[str, str, str]] = [
            *(("swim", t, world.commune_a.code) for t in SWIMMING),
            *(("weather", t, world.commune_a.code) for t in WEATHER),
            ("cat", CAT, world.commune_b.code),
        ]
        made = []
        for number, (name, text, commune) in enumerate(rows):
            row = MissedQuestionRow(
                at=clock.now - timedelta(hours=number),
                channel="telegram",
                reason="fallback",
                text=text,
                status="open",
                commune_code=commune,
                province_code=world.commune_a.province_code,
            )
            session.add(row)
            made.append((name, row))
        await session.flush()
        for name, row in made:
            ids.setdefault(name, []).append(row.id)
    return ids


async def _status(bot: Bot, ids: list[int]) -> set[str]:
    async with bot.sessions() as session:
        query = select(MissedQuestionRow.status).where(MissedQuestionRow.id.in_(ids))
        return set((await session.execute(query)).scalars())


async def _audit(bot: Bot) -> list[AuditRow]:
    async with bot.sessions() as session:
        query = select(AuditRow).where(AuditRow.action.not_like("console%")).order_by(AuditRow.id)
        return list((await session.execute(query)).scalars())


async def _versions(bot: Bot) -> list[ContentVersionRow]:
    async with bot.sessions() as session:
        query = select(ContentVersionRow).order_by(ContentVersionRow.id)
        return list((await session.execute(query)).scalars())


def _groups(html: str) -> list[str]:
    return [part.split("”")[0] for part in html.split('<article class="card group">\n  <h2>“')[1:]]


async def test_groups_are_biggest_first_and_leaders_see_their_communes(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    await _seed(bot, world, clock)
    await sign_in(client, bot, world.ids["operator"])
    page = await client.get("/admin/missed")
    assert page.status_code == 200
    labels = _groups(page.text)
    assert len(labels) == 3  # three wordings of one question are one group
    assert labels[0] in SWIMMING
    assert labels[1] in WEATHER
    assert labels[2] == CAT
    assert "3 lần" in page.text
    assert 'value="oos.education"' in page.text
    overview = await client.get("/admin/")
    assert "3 nhóm đang chờ xử lý" in overview.text
    assert 'href="/admin/missed"' in overview.text

    await client.post("/admin/logout", data={"csrf": csrf_of(page.text)})
    await sign_in(client, bot, world.ids["leader"])  # commune A only; may not act
    page = await client.get("/admin/missed")
    assert len(_groups(page.text)) == 2
    assert CAT not in page.text
    assert "/admin/missed/attach" not in page.text


async def test_attach_publishes_a_version_the_bot_answers_with(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    ids = await _seed(bot, world, clock)
    assert bot.live.matcher.match(SWIMMING[0]).action == "fallback"
    await sign_in(client, bot, world.ids["operator"])
    csrf = csrf_of((await client.get("/admin/missed")).text)
    ids_field = ",".join(map(str, ids["swim"]))
    done = await client.post(
        "/admin/missed/attach", data={"csrf": csrf, "ids": ids_field, "intent": "oos.education"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/missed?phien-ban=1"
    # This process took the new version up after the commit, without a restart.
    assert bot.live.version == 1
    for text in [*SWIMMING, "muốn cho bé học bơi hè này thì đăng ký ở đâu"]:
        assert bot.live.matcher.match(text).intent == "oos.education", text
    assert await _status(bot, ids["swim"]) == {"resolved"}
    assert await _status(bot, ids["weather"]) == {"open"}
    [version] = await _versions(bot)
    assert version.author == world.handles["operator"]
    assert version.action == "publish"
    assert version.diff == [{"intent": "oos.education", "added": ADDED, "removed": []}]
    assert version.figures["evaluated"] is True  # the labelled set of this checkout ran
    assert version.figures["after"]["in_scope_accuracy"] >= 0.8
    assert [(a.action, a.target) for a in await _audit(bot)] == [
        ("content_publish", "v1"),
        ("missed_attach", "oos.education"),
    ]
    page = await client.get(done.headers["location"])
    assert "Đã xuất bản phiên bản 1" in page.text
    assert "Độ chính xác" in page.text
    assert len(_groups(page.text)) == 2  # the resolved group is gone
    versions = await client.get("/admin/versions")
    assert "Phiên bản 1" in versions.text
    assert "+ đăng ký học bơi cho con ở đâu" in versions.text


async def test_a_revert_is_a_new_version_and_restores_the_fallback(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    ids = await _seed(bot, world, clock)
    await sign_in(client, bot, world.ids["operator"])
    csrf = csrf_of((await client.get("/admin/missed")).text)
    data = {"csrf": csrf, "ids": ",".join(map(str, ids["swim"])), "intent": "oos.education"}
    assert (await client.post("/admin/missed/attach", data=data)).status_code == 303
    clock.advance(minutes=5)
    back = await client.post("/admin/versions/0/revert", data={"csrf": csrf})
    assert back.status_code == 303
    assert back.headers["location"] == "/admin/versions?da-quay-lai=2"
    assert bot.live.version == 2
    assert bot.live.matcher.match(SWIMMING[0]).action == "fallback"
    first, second = await _versions(bot)
    assert (second.action, second.reason, second.overlay) == (
        "revert",
        "Quay lại nội dung gốc",
        {"examples": {}},
    )
    assert second.diff == [{"intent": "oos.education", "added": [], "removed": ADDED}]
    # The questions version 1 learned from are missed again, with the others.
    assert await _status(bot, ids["swim"]) == {"open"}
    assert len(_groups((await client.get("/admin/missed")).text)) == 3
    # ... and back again to version 1: the examples return. (The questions stay in the list:
    # an operator attaching them again adds nothing twice.)
    again = await client.post(f"/admin/versions/{first.id}/revert", data={"csrf": csrf})
    assert again.status_code == 303
    assert bot.live.matcher.match(SWIMMING[1]).intent == "oos.education"
    actions = [a.action for a in await _audit(bot)]
    assert actions == [
        "content_publish",
        "missed_attach",
        "content_revert",
        "missed_reopen",
        "content_revert",
    ]
    page = await client.get("/admin/versions")
    assert page.text.count("Quay lại phiên bản này") == 2  # every version but the current one


async def test_a_revert_from_a_page_older_than_the_current_version_is_refused(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    """The versions page showed version 0 as current; version 1 was published since: reverting
    from that page would undo a change its author never saw."""
    ids = await _seed(bot, world, clock)
    await sign_in(client, bot, world.ids["operator"])
    page = await client.get("/admin/versions")
    assert 'name="phien-ban" value="0"' not in page.text  # nothing to revert to yet
    csrf = csrf_of(page.text)
    data = {"csrf": csrf, "ids": ",".join(map(str, ids["swim"])), "intent": "oos.education"}
    assert (await client.post("/admin/missed/attach", data=data)).status_code == 303
    stale = await client.post("/admin/versions/0/revert", data={"csrf": csrf, "phien-ban": "0"})
    assert stale.status_code == 422
    assert "vừa được xuất bản phiên bản 1" in stale.text
    assert len(await _versions(bot)) == 1
    assert bot.live.version == 1
    fresh = await client.post("/admin/versions/0/revert", data={"csrf": csrf, "phien-ban": "1"})
    assert fresh.status_code == 303


async def test_publication_is_refused_when_the_content_checks_fail(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    """An example another intent already has would make the matcher guess: refused."""
    async with bot.sessions.begin() as session:
        row = MissedQuestionRow(
            at=clock.now,
            channel="telegram",
            reason="unhelpful",
            text=bot.live.content.intents["oos.education"].examples[0],
            status="open",
        )
        session.add(row)
        await session.flush()
        row_id = row.id
    await sign_in(client, bot, world.ids["operator"])
    csrf = csrf_of((await client.get("/admin/missed")).text)
    refused = await client.post(
        "/admin/missed/attach", data={"csrf": csrf, "ids": str(row_id), "intent": "oos.weather"}
    )
    assert refused.status_code == 422
    assert "Chưa xuất bản được" in refused.text
    assert "collides" in refused.text
    assert await _versions(bot) == []
    assert bot.live.version == 0
    assert await _status(bot, [row_id]) == {"open"}


async def test_dismiss_hides_a_group_and_forms_need_their_token(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    ids = await _seed(bot, world, clock)
    await sign_in(client, bot, world.ids["operator"])
    csrf = csrf_of((await client.get("/admin/missed")).text)
    field = ",".join(map(str, ids["weather"]))
    for data in ({"ids": field}, {"ids": field, "csrf": "x" * 43}):
        stale = await client.post("/admin/missed/dismiss", data=data)
        assert stale.status_code == 403
        assert "Yêu cầu không hợp lệ" in stale.text
    no_token = {"ids": ",".join(map(str, ids["swim"])), "intent": "oos.education"}
    assert (await client.post("/admin/missed/attach", data=no_token)).status_code == 403
    assert await _versions(bot) == []
    assert await _status(bot, ids["weather"]) == {"open"}

    done = await client.post("/admin/missed/dismiss", data={"csrf": csrf, "ids": field})
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/missed?bo-qua=2"
    assert await _status(bot, ids["weather"]) == {"dismissed"}
    page = await client.get(done.headers["location"])
    assert "Đã bỏ qua 2 câu hỏi" in page.text
    assert len(_groups(page.text)) == 2
    dismissed = [a for a in await _audit(bot) if a.action == "missed_dismiss"]
    assert [(a.actor_id, a.detail) for a in dismissed] == [(world.ids["operator"], {"count": 2})]
    assert await _versions(bot) == []  # dismissing changes nothing the bot says


async def test_a_leader_can_neither_attach_nor_revert(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    ids = await _seed(bot, world, clock)
    await sign_in(client, bot, world.ids["leader"])
    csrf = csrf_of((await client.get("/admin/missed")).text)
    data = {"csrf": csrf, "ids": ",".join(map(str, ids["swim"])), "intent": "oos.education"}
    assert (await client.post("/admin/missed/attach", data=data)).status_code == 403
    assert (await client.post("/admin/missed/dismiss", data=data)).status_code == 403
    assert (await client.post("/admin/versions/0/revert", data=data)).status_code == 403
    assert await _versions(bot) == []
    assert await _status(bot, ids["swim"]) == {"open"}


async def test_the_overview_count_of_open_groups_follows_new_and_dismissed_questions(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    """The overview keeps its count between visits, and never shows a stale one."""
    ids = await _seed(bot, world, clock)
    await sign_in(client, bot, world.ids["operator"])

    async def shown() -> str:
        page = (await client.get("/admin/")).text
        start = page.index("Câu hỏi chưa hiểu:")
        return page[start : page.index("nhóm", start)].split(":")[1].strip()

    assert await shown() == "3"  # swimming, weather, the cat
    assert await shown() == "3"  # the kept count
    csrf = csrf_of((await client.get("/admin/missed")).text)
    field = ",".join(map(str, ids["weather"]))
    done = await client.post("/admin/missed/dismiss", data={"csrf": csrf, "ids": field})
    assert done.status_code == 303
    assert await shown() == "2"
    async with bot.sessions.begin() as session:
        session.add(
            MissedQuestionRow(
                at=clock.now,
                channel="telegram",
                reason="fallback",
                text="giá vàng hôm nay bao nhiêu một chỉ",
                status="open",
                commune_code=world.commune_a.code,
                province_code=world.commune_a.province_code,
            )
        )
    assert await shown() == "3"
