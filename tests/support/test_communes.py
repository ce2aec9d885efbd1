"""Who decides which communes a volunteer serves (issue 11 §4): the team leader, or an operator.

A volunteer cannot add a commune with `/xa` (see test_sessions); `/giaoxa` lets the leader
give one of their own volunteers a commune of the team's province, audited, and tells them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import Bot
from storage import session_factory
from storage.models import AuditRow
from tests.support.conftest import Person, texts
from tests.support.test_sessions import intake_until_consent, make_team


async def handle_of(person: Person) -> str:
    return (await person.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]


async def audited(engine: AsyncEngine, action: str) -> list[AuditRow]:
    async with session_factory(engine)() as session:
        query = select(AuditRow).where(AuditRow.action == action)
        return list((await session.execute(query)).scalars())


async def test_a_leader_gives_their_volunteer_a_commune_of_the_province(
    people, bot: Bot, engine
) -> None:
    leader, lan, _ = await make_team(people)  # Xã Ia Grai, Gia Lai
    lan_handle = await handle_of(lan)
    done = texts(await leader.say(f"/giaoxa {lan_handle} xa ia hrung gia lai"))
    assert "Đã giao" in done
    assert "Ia Hrung" in done
    assert "Ia Hrung" in texts(await lan.inbox())  # told
    assert "Ia Hrung" in texts(await lan.say("/xa"))
    citizen = people("ia-hrung")
    await intake_until_consent(citizen, "xa ia hrung gia lai", "Ia Hrung")
    await citizen.press("Không đồng ý")
    [notice] = await lan.inbox()  # now told of the commune's requests, with a claim button
    assert "Nơi ở: Xã Ia Hrung, Gia Lai" in notice.text
    ref = notice.text.split("📋 ")[1].split()[0]
    assert [b.payload for b in notice.buttons] == ["c:" + ref.replace("-", "")]
    [entry] = await audited(engine, "commune_assigned")
    assert entry.target == lan_handle
    removed = texts(await leader.say(f"/giaoxa {lan_handle} bo {entry.detail['commune']}"))
    assert "Đã bỏ" in removed
    assert "Ia Hrung" not in texts(await lan.say("/xa"))
    assert len(await audited(engine, "commune_unassigned")) == 1


async def test_a_leader_cannot_assign_outside_their_team_or_province(
    people, bot: Bot, engine
) -> None:
    leader, lan, _ = await make_team(people)
    lan_handle = await handle_of(lan)
    refused = texts(await leader.say(f"/giaoxa {lan_handle} phuong ba dinh ha noi"))
    assert "tỉnh/thành khác" in refused
    stranger = people("stranger")
    await stranger.say("/start")
    # A volunteer of another team (made by the operator in another commune).
    operator = people("operator")
    other_leader = people("other-leader")
    other_handle = await handle_of(other_leader)
    await operator.say(f"/totruong {other_handle} xa ia hrung gia lai")
    code = texts(await other_leader.say("/moi 1 7")).split("/thamgia ")[1].split()[0]
    await stranger.say(f"/thamgia {code}")
    stranger_handle = await handle_of(stranger)
    assert "không thuộc tổ" in texts(
        await leader.say(f"/giaoxa {stranger_handle} xa ia grai gia lai")
    )
    reasons = sorted(e.detail["reason"] for e in await audited(engine, "commune_assign_refused"))
    assert reasons == ["province", "team"]
    assert "Ba Đình" not in texts(await lan.say("/xa"))


async def test_a_volunteer_cannot_assign_and_an_operator_can_anywhere(
    people, bot: Bot, engine
) -> None:
    _, lan, minh = await make_team(people)
    minh_handle = await handle_of(minh)
    assert "Đã giao" not in texts(await lan.say(f"/giaoxa {minh_handle} xa ia hrung gia lai"))
    assert await audited(engine, "commune_assigned") == []
    operator = people("operator")
    done = texts(await operator.say(f"/giaoxa {minh_handle} phuong ba dinh ha noi"))
    assert "Đã giao" in done
    assert "Ba Đình" in done
    assert "Ba Đình" in texts(await minh.say("/xa"))


async def test_bad_arguments_get_the_usage_line(people, bot: Bot) -> None:
    leader, _, _ = await make_team(people)
    assert "Cách dùng" in texts(await leader.say("/giaoxa"))
    assert "Không tìm thấy" in texts(await leader.say("/giaoxa NOBODY xa ia grai gia lai"))
