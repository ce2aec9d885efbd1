"""The question log and missed questions: written with each answer, read by the overview,
deleted by /xoadulieu (missed questions) and by the retention purge (both)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.services import Bot
from storage.console_models import MissedQuestionRow, QuestionLogRow
from tests.console.conftest import World, sign_in
from tests.support.conftest import FakeClock


async def _rows(bot: Bot) -> tuple[list[QuestionLogRow], list[MissedQuestionRow]]:
    async with bot.sessions() as session:
        log = list(
            (await session.execute(select(QuestionLogRow).order_by(QuestionLogRow.id))).scalars()
        )
        missed = list(
            (
                await session.execute(select(MissedQuestionRow).order_by(MissedQuestionRow.id))
            ).scalars()
        )
    return log, missed


async def test_each_decision_is_logged_without_words_and_misses_are_kept_masked(
    bot: Bot, people, clock: FakeClock
) -> None:
    lan = people("lan")
    await lan.say("cach cai vneid")  # answered
    await lan.press("Chưa đúng ý")  # 👎
    await lan.say("vneid")  # clarified
    await lan.press("Không phải các câu trên")
    await lan.say("abc xyz qwerty, số tôi 0912345678")  # fallback
    log, missed = await _rows(bot)
    assert [row.action for row in log] == ["answer", "unhelpful", "clarify", "none", "fallback"]
    assert log[0].intent == "vneid.activate"
    assert log[1].intent == "vneid.activate"
    assert all(row.at == clock.now.replace(minute=0, second=0, microsecond=0) for row in log)
    assert {c.name for c in QuestionLogRow.__table__.columns}.isdisjoint({"text", "person_id"})
    assert [(m.reason, m.text) for m in missed] == [
        ("unhelpful", "cach cai vneid"),
        ("none", "vneid"),
        ("fallback", "abc xyz qwerty, số tôi [số điện thoại]"),
    ]
    assert {m.person_id for m in missed} == {missed[0].person_id}
    assert missed[0].person_id is not None


async def test_a_thumbs_up_is_logged_and_keeps_nothing(bot: Bot, people) -> None:
    lan = people("lan")
    await lan.say("cach cai vneid")
    await lan.press("Hữu ích")
    log, missed = await _rows(bot)
    assert [row.action for row in log] == ["answer", "helpful"]
    assert missed == []


async def test_deleting_my_data_deletes_my_missed_questions_only(bot: Bot, people) -> None:
    lan, minh = people("lan"), people("minh")
    await lan.say("abc xyz qwerty")
    await minh.say("qwerty zxcv asdf")
    await lan.say("/xoadulieu xacnhan")
    log, missed = await _rows(bot)
    assert [m.text for m in missed] == ["qwerty zxcv asdf"]
    assert len(log) == 2  # anonymous counts stay


async def test_the_retention_purge_removes_old_rows(bot: Bot, people, clock: FakeClock) -> None:
    await people("lan").say("abc xyz qwerty")
    clock.advance(days=181)
    await people("minh").say("qwerty zxcv asdf")
    counts = await bot.purge()
    log, missed = await _rows(bot)
    assert counts["questions"] == 2
    assert [m.text for m in missed] == ["qwerty zxcv asdf"]
    assert len(log) == 1


async def test_the_overview_counts_this_week_against_last(
    client: httpx.AsyncClient, bot: Bot, people, world: World, clock: FakeClock
) -> None:
    lan = people("lan")
    await lan.say("abc xyz qwerty")  # last week: one fallback
    clock.advance(days=7)
    for text in ("cach cai vneid", "vneid", "qwerty zxcv"):
        await lan.say(text)
    await sign_in(client, bot, world.ids["operator"])
    page = (await client.get("/admin/")).text
    figures = page.split('class="figure">')[1:]
    asked, answered, clarified, fallback = (f.split("</small>")[0] for f in figures[:4])
    assert asked.startswith("3 <small>tuần trước: 1 · +2")
    assert answered.startswith("33% <small>tuần trước: 0% · +33 điểm %")
    assert clarified.startswith("33%")
    assert fallback.startswith("33% <small>tuần trước: 100%")
    assert "Yêu cầu gặp người hỗ trợ" in page
    assert page.count("<svg") == 9  # one chart per series


async def test_a_leader_without_a_team_is_told_so(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    from storage.models import PersonRow

    async with bot.sessions.begin() as session:
        leader = await session.get(PersonRow, world.ids["other_leader"])
        assert leader is not None
        leader.team_id = None
    await sign_in(client, bot, world.ids["other_leader"])
    page = (await client.get("/admin/")).text
    assert "chưa thuộc tổ nào" in page
    listed = (await client.get("/admin/requests")).text
    assert "Không có yêu cầu nào" in listed
