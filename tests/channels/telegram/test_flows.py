"""Whole conversations on Telegram through PTB's `Application.process_update`.

The real core, a real database (SQLite and PostgreSQL), PTB's real Application and Bot; only
Telegram's servers are fake.
"""

from __future__ import annotations

import asyncio
import io

import openpyxl
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update

from storage import session_factory
from storage.models import HelpRequestRow
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import TelegramPerson

CITIZEN, LAN, MINH, LEADER, OPERATOR = 5550001, 5550002, 5550003, 5550004, 5550005


def joined(texts: list[str]) -> str:
    return "\n".join(texts)


async def test_a_question_without_diacritics_gets_an_html_answer(telegram_people, api):
    farmer = telegram_people(CITIZEN)
    [answer] = await farmer.say("cach kich hoat tai khoan dinh danh dien tu muc 2")
    assert "VNeID" in answer
    [call] = api.sent(CITIZEN)
    assert call.params["parse_mode"] == "HTML"
    assert "<" not in answer.replace("&lt;", "")  # nothing the core wrote became markup
    assert api.methods()[0] == "getMe"  # initialize() asked who the bot is


async def test_a_clarification_is_tapped_and_the_button_stops_spinning(telegram_people, api):
    farmer = telegram_people(CITIZEN)
    [question] = await farmer.say("cai vneid")  # install it, or what it is, or an app error?
    assert "Có phải" in question
    assert farmer.keyboard, "the choices come as inline buttons"
    answer = joined(await farmer.press("VNeID"))
    assert "VNeID" in answer
    answered = api.sent(method="answerCallbackQuery")
    assert len(answered) == 1  # always answered, so the spinner stops


async def make_team(telegram_people) -> tuple[TelegramPerson, TelegramPerson, TelegramPerson]:
    """An operator (configured) names a leader, who invites two volunteers on duty."""
    operator, leader = telegram_people(OPERATOR), telegram_people(LEADER)
    handle = joined(await leader.say("/toi")).split("Mã của anh/chị: ")[1].split()[0]
    assert "tổ trưởng" in joined(await operator.say(f"/totruong {handle} xa ia grai gia lai"))
    code = joined(await leader.say("/moi 2 7")).split("/thamgia ")[1].split()[0]
    volunteers = []
    for chat in (LAN, MINH):
        volunteer = telegram_people(chat)
        assert "Chào mừng" in joined(await volunteer.say(f"/start {code}"))  # the deep link
        assert "Đã bật trực" in joined(await volunteer.say("/truc bat"))
        volunteers.append(volunteer)
    return leader, volunteers[0], volunteers[1]


async def test_a_support_session_from_request_to_rating(
    telegram_people, api: FakeBotAPI, runtime, engine: AsyncEngine
):
    _leader, lan, minh = await make_team(telegram_people)
    farmer = telegram_people(CITIZEN)
    assert "việc gì" in joined(await farmer.say("toi can nguoi giup"))
    await farmer.press("VNeID")
    await farmer.say("xa ia grai gia lai")
    await farmer.press("Ia Grai")
    await farmer.say("khong dang nhap duoc vneid")
    await farmer.press("Gọi điện")
    asked = await farmer.press("Đồng ý")
    assert asked[-1] == runtime.bot.assistant.t("intake_phone")
    # The phone step offers Telegram's own "share my phone number" keyboard.
    markup = api.sent(CITIZEN)[-1].params["reply_markup"]
    assert markup["keyboard"][0][0] == {
        "text": runtime.bot.assistant.t("share_phone_button"),
        "request_contact": True,
    }
    confirmed = joined(await farmer.share_contact("+84912345678"))
    ref = confirmed.split("Mã yêu cầu: ")[1].split(".")[0]

    # Both volunteers get a claim button; they press it at the same moment.
    assert ref in joined(await lan.flush())
    assert ref in joined(await minh.flush())
    lan_got, minh_got = await asyncio.gather(
        lan.deliver(lan.press_update("nhận giúp")), minh.deliver(minh.press_update("nhận giúp"))
    )
    results = joined(lan_got) + joined(minh_got)
    assert results.count("đã nhận yêu cầu") == 1
    assert "0912345678" in results  # the winner sees the number the citizen shared
    await runtime.dispatcher.flush()
    # The loser's claim button becomes "taken": that message edited, nobody else's.
    [edit] = api.sent(method="editMessageText")
    assert "đã có tình nguyện viên khác nhận" in edit.params["text"]
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
    winner, loser = (lan, minh) if str(request.volunteer_external_id) == str(LAN) else (minh, lan)
    assert edit.params["chat_id"] == loser.chat_id
    assert "đã nhận yêu cầu" in joined(await farmer.flush())

    # Relay both ways: the FAQ stays quiet for the citizen.
    assert await farmer.say("toi quen mat khau vneid roi") == []
    assert "quen mat khau vneid" in joined(await winner.flush())
    assert await winner.say("Bác mở VNeID, bấm <Quên mật khẩu> nhé") == []
    relayed = joined(await farmer.flush())
    assert "&lt;Quên mật khẩu&gt;" in relayed  # escaped for HTML, shown as typed
    assert loser.new_texts() == []

    # The volunteer ends and records; the citizen rates.
    assert "Kết quả" in joined(await winner.say("/ketthuc"))
    await winner.press("Đã giải quyết")
    await winner.press("Kích hoạt tài khoản VNeID")
    assert "Đã ghi nhận kết quả" in joined(await winner.press("Xong"))
    assert "chấm điểm" in joined(await farmer.flush())
    await farmer.press("⭐⭐⭐⭐⭐")
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
    assert (request.status, request.outcome, request.rating) == ("closed", "resolved", 5)
    assert request.phone == "0912345678"


async def test_a_leader_downloads_the_xlsx_report(telegram_people, api: FakeBotAPI):
    leader, _lan, _minh = await make_team(telegram_people)
    await leader.say("/baocao")
    [document] = api.sent(LEADER, method="sendDocument")
    assert document.files["document"].endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(document.contents["document"]))
    assert workbook.sheetnames[0] == "Tổng quan"  # a real workbook, the report's first sheet


async def test_a_poster_link_suggests_its_commune(telegram_people):
    farmer = telegram_people(CITIZEN)
    await farmer.say("/start xa23764")
    await farmer.say("/gapnguoi")
    [asked] = await farmer.press("VNeID")
    assert asked == "Có phải anh/chị ở Xã Ia Grai, Gia Lai? Bấm vào tên nếu đúng:"
    assert farmer.keyboard == [
        ("Xã Ia Grai, Gia Lai", "k:commune:23764"),  # the commune code of the link
        ("Không phải nơi này", "k:commune:retry"),
    ]


async def test_photos_are_not_read_and_blocking_stops_the_request(
    telegram_people, api: FakeBotAPI, runtime, engine: AsyncEngine
):
    from tests.channels.telegram.harness import for_chat, sample

    farmer = telegram_people(CITIZEN)
    [reply] = await farmer.deliver(for_chat(sample("photo"), CITIZEN))
    assert "chỉ đọc được tin nhắn chữ" in reply
    assert not [c for c in api.calls if c.method in ("getFile", "downloadFile")]

    await farmer.say("/gapnguoi")
    await farmer.press("VNeID")
    await farmer.say("xa ia grai gia lai")
    await farmer.press("Ia Grai")
    await farmer.say("khong dang nhap duoc")
    await farmer.press("Nhắn tin")
    await farmer.press("Không đồng ý")
    before = len(api.calls)
    assert await farmer.deliver(for_chat(sample("my_chat_member_blocked"), CITIZEN)) == []
    assert len([c for c in api.calls[before:] if c.method == "sendMessage"]) == 0
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
    assert request.status == "cancelled"


async def test_group_chats_are_ignored(telegram_people, api: FakeBotAPI, runtime):
    from tests.channels.telegram.harness import sample

    update = Update.de_json(sample("group_message"), runtime.application.bot)
    await runtime.application.process_update(update)
    assert api.sent() == []
