"""Help days, as a leader posts them and citizens find them (issue 15), on SQLite and
PostgreSQL: the commune's own days, the province's when it has none, reminders once."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import select

from bot.assistant import Assistant
from bot.features.reports.build import build_report
from bot.features.reports.sections import sections
from bot.services import Bot
from bot.worker import Worker
from storage.models import TeamRow
from storage.report_queries import ReportFilter
from tests.features.helpdays.helpers import choose_commune, help_days, post_help_day
from tests.support.conftest import FakeClock, texts
from tests.support.test_sessions import make_team

TEAM_QUESTION = "to cong nghe so o dau"


async def test_a_leader_posts_a_day_and_a_citizen_of_the_commune_sees_it(people, bot: Bot):
    leader, _, _ = await make_team(people)  # Xã Ia Grai, Gia Lai
    saved = await post_help_day(leader)
    assert "Đã đăng buổi hỗ trợ" in saved
    assert "28/11/2026" in saved
    assert "07:30-11:00" in saved
    assert "Ia Grai" in saved
    [day] = await help_days(bot)
    assert (day.topics, day.status, day.place) == (["vneid"], "planned", "Nha van hoa thon 2")

    citizen = people("ia-grai")
    await choose_commune(citizen, "xa ia grai gia lai", "Ia Grai")
    answer = await citizen.say(TEAM_QUESTION)
    assert answer[0].intent == "team.contact"
    shown = texts(answer)
    assert "Buổi hỗ trợ trực tiếp sắp tới tại Xã Ia Grai" in shown
    assert "Thứ Bảy 28/11/2026" in shown
    assert "Nha van hoa thon 2" in shown
    assert "sẽ nhắc" in texts(await citizen.press("Nhắc tôi"))
    assert "đã đăng ký nhắc" in texts(await citizen.say(f"/nhactoi {day.id}"))
    # /sukien shows the same to a citizen; the volunteer offer too.
    assert "28/11/2026" in texts(await citizen.say("/sukien"))
    offer = texts(await citizen.say("/gapnguoi"))
    assert "buổi hỗ trợ trực tiếp" in offer
    assert "28/11/2026" in offer
    assert "việc gì" in offer  # the request form still starts


async def test_other_communes_see_the_province_s_days_only_when_they_have_none(people, bot: Bot):
    leader, _, _ = await make_team(people)
    await post_help_day(leader)
    nearby = people("ia-hrung")
    await choose_commune(nearby, "xa ia hrung gia lai", "Ia Hrung")
    shown = texts(await nearby.say(TEAM_QUESTION))
    assert "Chưa có buổi hỗ trợ ở xã/phường của anh/chị" in shown
    assert "Xã Ia Grai" in shown
    assert "28/11/2026" in shown

    far = people("ba-dinh")
    await choose_commune(far, "phuong ba dinh ha noi", "Ba Đình")
    shown = texts(await far.say(TEAM_QUESTION))
    assert "28/11" not in shown
    assert "Buổi hỗ trợ" not in shown
    assert "Hiện chưa có buổi hỗ trợ" in texts(await far.say("/sukien"))

    # Once Ia Hrung has a day of its own, its citizens see that one, not Ia Grai's.
    operator = people("operator")
    saved = await post_help_day(operator, "29/11", "xa ia hrung gia lai", "Ia Hrung")
    assert "Ia Hrung" in saved
    shown = texts(await nearby.say(TEAM_QUESTION))
    assert "Buổi hỗ trợ trực tiếp sắp tới tại Xã Ia Hrung" in shown
    assert "29/11/2026" in shown
    assert "28/11" not in shown


async def test_reminders_go_out_once_with_two_workers_and_a_restart(
    people, bot: Bot, clock: FakeClock
):
    leader, _, _ = await make_team(people)
    await post_help_day(leader)
    citizen = people("ia-grai")
    await choose_commune(citizen, "xa ia grai gia lai", "Ia Grai")
    await citizen.say(TEAM_QUESTION)
    await citizen.press("Nhắc tôi")
    assert (await Worker(bot).tick())["help_day_reminders"] == 0  # Monday: not yet
    clock.now = clock.now.replace(day=27, hour=1, minute=5)  # Friday 08:05 in Vietnam
    other = Bot(_assistant_like(bot), bot.sessions, clock)  # a second worker process
    rounds = await asyncio.gather(Worker(bot).tick(), Worker(other).tick())
    assert sum(r["help_day_reminders"] for r in rounds) == 1
    restarted = Bot(_assistant_like(bot), bot.sessions, clock)
    assert (await Worker(restarted).tick())["help_day_reminders"] == 0
    inbox = await citizen.inbox()
    assert len(inbox) == 1
    assert "Nhắc lịch: ngày mai (Thứ Bảy 28/11/2026) 07:30-11:00" in inbox[0].text
    clock.advance(days=1)
    assert (await Worker(bot).tick())["help_day_reminders"] == 0


async def test_a_cancelled_day_tells_those_who_asked_and_is_kept(people, bot: Bot):
    leader, _, _ = await make_team(people)
    await post_help_day(leader)
    [day] = await help_days(bot)
    citizen, other = people("ia-grai"), people("ia-grai-2")
    await choose_commune(citizen, "xa ia grai gia lai", "Ia Grai")
    await choose_commune(other, "xa ia grai gia lai", "Ia Grai")
    await citizen.say(f"/nhactoi {day.id}")
    listed = await leader.say("/sukien")
    assert "28/11/2026" in texts(listed)
    assert "Đã báo cho 1 người" in texts(await leader.press("Hủy buổi 28/11"))
    notice = texts(await citizen.inbox())
    assert "đã bị hủy" in notice
    assert "Nha van hoa thon 2" in notice
    assert await other.inbox() == []  # did not ask: not told
    [kept] = await help_days(bot)
    assert kept.status == "cancelled"
    assert kept.cancelled_at is not None
    assert "28/11" not in texts(await citizen.say(TEAM_QUESTION))
    assert "đã qua hoặc đã hủy" in texts(await citizen.say(f"/nhactoi {day.id}"))
    assert "Đã báo cho 0 người" in texts(await leader.say(f"/sukien huy {day.id}"))


async def test_a_leader_cannot_cancel_or_post_for_another_commune(people, bot: Bot):
    leader, _, _ = await make_team(people)
    await post_help_day(leader)
    [day] = await help_days(bot)
    operator, stranger = people("operator"), people("stranger-leader")
    handle = (await stranger.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    await operator.say(f"/totruong {handle} xa ia hrung gia lai")
    refused = texts(await stranger.say(f"/sukien huy {day.id}"))
    assert "chỉ quản lý được buổi hỗ trợ của xã/phường tổ mình" in refused
    [still] = await help_days(bot)
    assert still.status == "planned"
    asked = texts(await stranger.say("/sukien moi"))  # their own commune only: no choice
    assert "Ngày tổ chức" in asked
    assert "chỉ dành cho" in texts(await people("citizen").say("/diaphuong"))


async def test_bad_dates_and_times_are_asked_again(people, bot: Bot):
    leader, _, _ = await make_team(people)
    await leader.say("/sukien moi")
    assert "dạng ngày/tháng" in texts(await leader.say("31/02"))
    assert "dạng ngày/tháng" in texts(await leader.say("hom qua"))
    await leader.say("28/11")
    assert "dạng" in texts(await leader.say("25:00"))
    assert "dạng" in texts(await leader.say("11:00-7:00"))
    assert "Địa điểm" in texts(await leader.say("7h30 - 11h"))


def _assistant_like(bot: Bot) -> Assistant:
    return Assistant(bot.assistant.dialogue, bot.assistant.kit, bot.assistant.report_maker)


async def test_the_report_counts_days_held_and_people_reminded(people, bot: Bot, clock: FakeClock):
    leader, _, _ = await make_team(people)
    await post_help_day(leader, "28/11")
    await post_help_day(leader, "29/11")
    first, second = await help_days(bot)
    citizen = people("ia-grai")
    await choose_commune(citizen, "xa ia grai gia lai", "Ia Grai")
    await citizen.say(f"/nhactoi {first.id}")
    await citizen.say(f"/nhactoi {second.id}")
    await leader.say(f"/sukien huy {second.id}")
    clock.now = clock.now.replace(day=27, hour=1, minute=5)
    await Worker(bot).tick()
    async with bot.sessions() as session:  # the day has not happened yet: not "held"
        before = await build_report(
            session, ReportFilter(date(2026, 11, 1), date(2026, 11, 30)), now=clock.now
        )
    assert before.help_days_held == 0
    clock.advance(days=3)
    month = ReportFilter(date(2026, 11, 1), date(2026, 11, 30))
    async with bot.sessions() as session:
        team_id = (await session.execute(select(TeamRow.id))).scalar_one()
        report = await build_report(session, month, now=clock.now)
        team = await build_report(
            session, ReportFilter(month.start, month.end, team_id=team_id), now=clock.now
        )
        empty = await build_report(
            session, ReportFilter(date(2026, 10, 1), date(2026, 10, 31)), now=clock.now
        )
    assert (report.help_days_held, report.help_days_reminded) == (1, 1)
    assert (team.help_days_held, team.help_days_reminded) == (1, 1)
    [section] = [s for s in sections(report) if s.sheet == "Buổi hỗ trợ trực tiếp"]
    assert [row[2] for row in section.rows] == [(1,), (1,)]
    assert "Buổi hỗ trợ trực tiếp" not in [s.sheet for s in sections(empty)]


async def test_a_day_of_today_gets_no_reminder_the_day_before(people, bot: Bot, clock: FakeClock):
    leader, _, _ = await make_team(people)
    await post_help_day(leader, "23/11")  # the fake clock's today
    citizen = people("ia-grai")
    await choose_commune(citizen, "xa ia grai gia lai", "Ia Grai")
    await citizen.say("/sukien")
    assert "diễn ra ngay hôm nay" in texts(await citizen.press("Nhắc tôi"))
    assert (await Worker(bot).tick())["help_day_reminders"] == 0
    assert await citizen.inbox() == []
