"""/admin/helpdays and /admin/local through the real console application, on SQLite and
PostgreSQL: a leader keeps their own commune's days and details and gets 403 for another's;
bad input is answered with the field at fault (422), never a 500."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from bot.services import Bot
from storage.local_models import HelpDayReminderRow, HelpDayRow, LocalDetailsRow
from storage.models import AuditRow, OutboxRow
from tests.console.conftest import World, client, csrf_of, sign_in, world  # noqa: F401  (fixtures)
from tests.features.helpdays.helpers import help_days

DAY = date(2026, 11, 28)


def day_form(csrf: str, commune: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf": csrf,
        "commune": commune,
        "day": DAY.isoformat(),
        "start": "07:30",
        "end": "11:00",
        "place": "Nhà văn hóa thôn 2",
        "topic-vneid": "1",
        "topic-public_services": "1",
        "note": "Mang theo căn cước",
    }
    form.update(changes)
    return form


async def signed_in(client: httpx.AsyncClient, bot: Bot, person_id: int) -> str:  # noqa: F811
    await sign_in(client, bot, person_id)
    return csrf_of((await client.get("/admin/helpdays")).text)


async def test_a_leader_posts_edits_and_cancels_a_day_of_their_commune(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    world: World,  # noqa: F811
) -> None:
    csrf = await signed_in(client, bot, world.ids["leader"])
    code = world.commune_a.code
    posted = await client.post("/admin/helpdays/save", data=day_form(csrf, code))
    assert posted.status_code == 303
    [day] = await help_days(bot)
    assert (day.commune_code, day.day, day.topics) == (code, DAY, ["vneid", "public_services"])
    page = (await client.get("/admin/helpdays")).text
    assert "28/11/2026" in page
    assert "Nhà văn hóa thôn 2" in page
    edited = await client.post(
        "/admin/helpdays/save", data=day_form(csrf, code, id=str(day.id), place="Hội trường xã")
    )
    assert edited.status_code == 303
    async with bot.sessions.begin() as session:
        session.add(HelpDayReminderRow(help_day_id=day.id, person_id=world.ids["citizen"]))
    cancelled = await client.post("/admin/helpdays/cancel", data={"csrf": csrf, "id": str(day.id)})
    assert cancelled.status_code == 303
    assert "da-huy=0" in cancelled.headers["location"]  # the citizen cannot be reached here
    [kept] = await help_days(bot)
    assert (kept.place, kept.status) == ("Hội trường xã", "cancelled")
    async with bot.sessions() as session:
        actions = [r.action for r in (await session.execute(select(AuditRow))).scalars()]
    assert {"helpday_created", "helpday_changed", "helpday_cancelled"} <= set(actions)


async def test_another_commune_s_days_are_refused_with_403(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    world: World,  # noqa: F811
) -> None:
    async with bot.sessions.begin() as session:
        theirs = HelpDayRow(
            commune_code=world.commune_b.code,
            province_code=world.commune_b.province_code,
            day=DAY,
            start_time="08:00",
            end_time="",
            place="Nhà văn hóa B",
            topics=["vneid"],
            note="",
            status="planned",
            remind_at=bot.clock(),
        )
        session.add(theirs)
    csrf = await signed_in(client, bot, world.ids["leader"])
    assert "Nhà văn hóa B" not in (await client.get("/admin/helpdays")).text
    refused = await client.post("/admin/helpdays/save", data=day_form(csrf, world.commune_b.code))
    assert refused.status_code == 403
    edit = day_form(csrf, world.commune_a.code, id=str(theirs.id))
    assert (await client.post("/admin/helpdays/save", data=edit)).status_code == 403
    cancel = {"csrf": csrf, "id": str(theirs.id)}
    assert (await client.post("/admin/helpdays/cancel", data=cancel)).status_code == 403
    assert (await client.get(f"/admin/helpdays?sua={theirs.id}")).status_code == 403
    local = {"csrf": csrf, "level": "commune", "code": world.commune_b.code, "note": "x"}
    assert (await client.post("/admin/local/save", data=local)).status_code == 403
    province = {"csrf": csrf, "level": "province", "code": world.commune_b.province_code}
    assert (await client.post("/admin/local/save", data=province)).status_code == 403
    [still] = [d for d in await help_days(bot) if d.id == theirs.id]
    assert still.status == "planned"
    async with bot.sessions() as session:
        assert list((await session.execute(select(LocalDetailsRow))).scalars()) == []


async def test_bad_input_names_the_field(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    world: World,  # noqa: F811
) -> None:
    csrf = await signed_in(client, bot, world.ids["leader"])
    bad = day_form(csrf, world.commune_a.code, day="2020-01-01", start="25:00")
    del bad["topic-vneid"], bad["topic-public_services"]
    answer = await client.post("/admin/helpdays/save", data=bad)
    assert answer.status_code == 422
    assert "Ngày: chọn một ngày" in answer.text
    assert "Giờ bắt đầu" in answer.text
    assert "Nội dung: chọn ít nhất" in answer.text
    assert await help_days(bot) == []
    long = {"csrf": csrf, "level": "commune", "code": world.commune_a.code, "note": "x" * 600}
    answer = await client.post("/admin/local/save", data=long)
    assert answer.status_code == 422
    assert "Lưu ý cho người dân: dài 600 ký tự, tối đa 500 ký tự." in answer.text


async def test_local_details_saved_in_the_console_reach_the_chat(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    world: World,  # noqa: F811
    people,
) -> None:
    csrf = await signed_in(client, bot, world.ids["leader"])
    form = {
        "csrf": csrf,
        "level": "commune",
        "code": world.commune_a.code,
        "desk_address": "Trụ sở UBND, số 1",
        "opening_hours": "7:30-11:30",
        "contact": "Zalo của tổ: 0912 345 678",
        "note": "",
    }
    assert (await client.post("/admin/local/save", data=form)).status_code == 303
    page = (await client.get("/admin/local")).text
    assert "Trụ sở UBND, số 1" in page
    assert "Zalo của tổ: 0912 345 678" in page  # a public contact: not masked
    citizen = people("citizen-a")
    await citizen.say(f"/xa {world.commune_a.code}")
    shown = "\n".join(r.text for r in await citizen.say("to cong nghe so o dau"))
    assert "• Liên hệ Tổ công nghệ số: Zalo của tổ: 0912 345 678" in shown
    assert "• Bộ phận một cửa: Trụ sở UBND, số 1" in shown
    async with bot.sessions() as session:
        assert list((await session.execute(select(OutboxRow))).scalars()) == []
