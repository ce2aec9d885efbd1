"""A citizen's commune and its local details (issue 15), on SQLite and PostgreSQL.

Answers named in content/config.yaml `local_blocks` carry what the team entered, under a
heading, and nothing when nothing was entered; other answers never carry it.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot import payloads
from bot.services import Bot
from storage.local_models import HelpDayReminderRow, LocalDetailsRow
from storage.models import PersonRow
from storage.people import PeopleRepository
from tests.features.helpdays.helpers import choose_commune, help_days, post_help_day
from tests.support.conftest import Person, texts
from tests.support.test_sessions import ask_for_help, make_team

SUBMIT = "Nộp hồ sơ trực tuyến như thế nào?"  # dvc.submit: [desk, hours]
NOT_LOCAL = "Thanh toán không dùng tiền mặt là gì?"  # cashless.what_is: not configured


async def fill_details(leader: Person) -> str:
    """/diaphuong for the leader's one commune: desk, hours; no contact, no note."""
    assert "Bộ phận một cửa" in texts(await leader.say("/diaphuong"))
    assert "Giờ làm việc" in texts(await leader.say("Tru so UBND xa Ia Grai, thon 1"))
    assert "Liên hệ" in texts(await leader.say("Sang 7:30-11:30, thu Hai den thu Sau"))
    await leader.press("Bỏ qua")
    return texts(await leader.press("Bỏ qua"))


async def test_configured_answers_carry_what_the_team_entered_and_nothing_else(people, bot: Bot):
    leader, _, _ = await make_team(people)
    saved = await fill_details(leader)
    assert "Đã lưu thông tin địa phương của Xã Ia Grai" in saved
    assert "Bộ phận một cửa: Tru so UBND xa Ia Grai, thon 1" in saved
    citizen = people("ia-grai")
    await choose_commune(citizen, "xa ia grai gia lai", "Ia Grai")
    [answer, *_] = await citizen.say(SUBMIT)
    assert answer.intent == "dvc.submit"
    assert "📍 Thông tin tại Xã Ia Grai, Gia Lai:" in answer.text
    assert "• Bộ phận một cửa: Tru so UBND xa Ia Grai, thon 1" in answer.text
    assert "• Giờ làm việc: Sang 7:30-11:30" in answer.text
    assert "Liên hệ Tổ công nghệ số:" not in answer.text  # not entered: not invented
    not_local = texts(await citizen.say(NOT_LOCAL))
    assert "📍" not in not_local
    assert "Ia Grai" not in not_local
    # Another commune of the province, with nothing entered: nothing local at all.
    other = people("ia-hrung")
    await choose_commune(other, "xa ia hrung gia lai", "Ia Hrung")
    shown = texts(await other.say(SUBMIT))
    assert "📍" not in shown
    assert "Bộ phận một cửa:" not in shown


async def test_the_province_default_fills_what_a_commune_left_empty(people, bot: Bot):
    operator = people("operator")
    assert "gõ tên xã/phường" in texts(await operator.say("/diaphuong"))
    await operator.say("gia lai")
    await operator.press("Mặc định cho cả Tỉnh Gia Lai")
    await operator.press("Bỏ qua")  # desk
    await operator.say("Sang 7:00-11:00 cac ngay lam viec")  # hours
    await operator.press("Bỏ qua")
    assert "Đã lưu" in texts(await operator.press("Bỏ qua"))
    citizen = people("ia-hrung")
    await choose_commune(citizen, "xa ia hrung gia lai", "Ia Hrung")
    shown = texts(await citizen.say(SUBMIT))
    assert "• Giờ làm việc: Sang 7:00-11:00 cac ngay lam viec" in shown
    assert "Bộ phận một cửa:" not in shown
    far = people("ba-dinh")
    await choose_commune(far, "phuong ba dinh ha noi", "Ba Đình")
    assert "Giờ làm việc:" not in texts(await far.say(SUBMIT))


async def test_a_citizen_is_asked_for_their_commune_when_an_answer_needs_it(people, bot: Bot):
    leader, _, _ = await make_team(people)
    await fill_details(leader)
    citizen = people("new")
    shown = texts(await citizen.say(SUBMIT))
    assert "cho tôi biết xã/phường của mình" in shown
    assert "ở xã/phường nào" in texts(await citizen.press("Chọn xã/phường của tôi"))
    assert "Xã Ia Grai" in texts(await citizen.say("ia grai gia lai"))
    after = texts(await citizen.press("Ia Grai"))
    assert "Đã ghi nhận anh/chị ở Xã Ia Grai, Gia Lai" in after
    assert "Bộ phận một cửa: Tru so UBND xa Ia Grai" in after  # the answer's local part
    assert "Xã Ia Grai, Gia Lai" in texts(await citizen.say("/dulieu"))
    assert "Xã Ia Grai, Gia Lai" in texts(await citizen.say("/xa"))
    # Changing it.
    await citizen.press("Đổi xã/phường")
    assert "Tôi chưa tìm thấy" in texts(await citizen.say("@@##"))
    await citizen.say("xa ia hrung gia lai")
    assert "Ia Hrung" in texts(await citizen.press("Ia Hrung"))


async def test_the_help_request_and_the_poster_link_teach_the_commune_once(people, bot: Bot):
    await make_team(people)
    citizen = people("asker")
    await ask_for_help(citizen)
    assert "Xã Ia Grai, Gia Lai" in texts(await citizen.say("/xa"))
    poster = people("poster")
    async with bot.sessions() as session:
        code = (
            await session.execute(
                select(PersonRow.commune_code).where(PersonRow.commune_code.is_not(None))
            )
        ).scalar_one()
    await poster.say(f"/start xa{code}")
    assert "Xã Ia Grai, Gia Lai" in texts(await poster.say("/xa"))
    await poster.say("/xa xa ia hrung gia lai")
    await poster.press("Ia Hrung")
    await poster.say(f"/start xa{code}")  # a second poster does not move it back
    assert "Ia Hrung" in texts(await poster.say("/xa"))


async def test_volunteers_keep_xa_for_the_communes_they_serve(people, bot: Bot):
    _, lan, _ = await make_team(people)
    assert "Các xã/phường anh/chị hỗ trợ" in texts(await lan.say("/xa"))
    shown = texts(await lan.say(SUBMIT))  # not asked for a home commune /xa cannot set
    assert "cho tôi biết xã/phường" not in shown


async def test_a_leader_cannot_edit_another_commune_s_details(people, bot: Bot):
    leader, _, _ = await make_team(people)  # Ia Grai
    places = bot.assistant.kit.places
    ia_pa = places.search("xa ia pa gia lai").candidates[0]
    ia_hrung = places.search("xa ia hrung gia lai").candidates[0]
    async with bot.sessions.begin() as session:
        row = (await session.execute(select(PersonRow).where(PersonRow.role == "leader"))).one()[0]
        await PeopleRepository(session).set_communes(row.id, [ia_pa.code])  # serves two
    asked = await leader.say("/diaphuong")
    assert {b.title for b in leader.shown} >= {"Xã Ia Grai, Gia Lai", ia_pa.label}
    assert ia_hrung.label not in texts(asked) + str(leader.shown)
    # A forged button for a commune the leader does not manage is asked again, not taken.
    forged = payloads.encode("form", f"place:commune:{ia_hrung.code}")
    again = texts(await leader.send_payload(forged))
    assert "Anh/chị muốn cập nhật" in again
    assert "Bộ phận một cửa" not in again
    forged = payloads.encode("form", f"place:province:{ia_hrung.province_code}")
    assert "Bộ phận một cửa" not in texts(await leader.send_payload(forged))
    await leader.press(ia_pa.label)  # their own: taken
    await leader.say("UBND xa Ia Pa")
    for _ in range(3):
        await leader.press("Bỏ qua")
    async with bot.sessions() as session:
        rows = list((await session.execute(select(LocalDetailsRow))).scalars())
    assert [(r.level, r.code, r.desk_address) for r in rows] == [
        ("commune", ia_pa.code, "UBND xa Ia Pa")
    ]


async def test_xoadulieu_forgets_the_commune_and_the_reminders(people, bot: Bot):
    leader, _, _ = await make_team(people)
    await post_help_day(leader)
    [day] = await help_days(bot)
    citizen = people("leaving")
    await choose_commune(citizen, "xa ia grai gia lai", "Ia Grai")
    await citizen.say(f"/nhactoi {day.id}")
    await citizen.say("/xoadulieu")
    assert "Đã xóa" in texts(await citizen.press("Tôi chắc chắn"))
    async with bot.sessions() as session:
        forgotten = (
            await session.execute(select(PersonRow).where(PersonRow.deleted_at.is_not(None)))
        ).scalar_one()
        reminders = list((await session.execute(select(HelpDayReminderRow))).scalars())
    assert forgotten.commune_code is None
    assert forgotten.commune_set_at is None
    assert reminders == []
    assert "ở xã/phường nào" in texts(await citizen.say("/xa"))  # a new user: asked again


def test_local_blocks_of_the_shipped_config_name_existing_intents(content) -> None:
    from content.checks import find_unknown_local_blocks

    assert content.config.local_blocks["team.contact"][0] == "contact"
    assert list(find_unknown_local_blocks(content)) == []
    broken = replace(
        content,
        config=content.config.model_copy(update={"local_blocks": {"team.nope": ("desk",)}}),
    )
    [problem] = find_unknown_local_blocks(broken)
    assert "team.nope" in problem.message
