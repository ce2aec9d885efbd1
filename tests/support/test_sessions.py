"""Whole support conversations: a citizen, two volunteers, a team leader and an operator.

Over 500 lines on purpose: one story per test, in the order of a request's life (open, claim,
relay, hand back, end, rate, timers), mirroring bot/support/sessions.py.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import Bot
from bot.support.common import SupportConfig
from bot.worker import Worker
from storage import session_factory
from storage.models import (
    AuditRow,
    HelpRequestRow,
    InviteRow,
    RelayMessageRow,
    RequestEventRow,
    TimerRow,
)
from tests.support.conftest import FakeClock, Person, claim_payload, texts

IA_GRAI = "23764"


async def make_team(people) -> tuple[Person, Person, Person]:
    """Operator -> leader of Xã Ia Grai -> invite -> two volunteers on duty."""
    operator, leader = people("operator"), people("leader")
    handle = (await leader.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    reply = texts(await operator.say(f"/totruong {handle} xa ia grai gia lai"))
    assert "tổ trưởng" in reply
    invite = texts(await leader.say("/moi 2 7"))
    code = invite.split("/thamgia ")[1].split()[0]
    volunteers = []
    for name in ("lan", "minh"):
        volunteer = people(name)
        assert "Chào mừng" in texts(await volunteer.say(f"/thamgia {code}"))
        assert "Đã bật trực" in texts(await volunteer.say("/truc bat"))
        volunteers.append(volunteer)
    return leader, volunteers[0], volunteers[1]


async def ask_for_help(citizen: Person, mode: str = "Nhắn tin", phone: str | None = None) -> str:
    """Go through the intake the way a farmer would, typing without diacritics."""
    assert "việc gì" in texts(await citizen.say("toi can nguoi giup"))
    await citizen.press("VNeID")
    reply = texts(await citizen.say("xa ia grai gia lai"))
    assert "Ia Grai" in reply
    await citizen.press("Ia Grai")
    await citizen.say("khong dang nhap duoc vneid")
    await citizen.press(mode)
    if phone is None:
        replies = await citizen.press("Không đồng ý")
    else:
        await citizen.press("Đồng ý")
        replies = await citizen.say(phone)
    reply = texts(replies)
    assert "Mã yêu cầu: HT-" in reply
    return reply.split("Mã yêu cầu: ")[1].split(".")[0]


async def test_the_whole_handoff_from_request_to_rating(people, bot: Bot, engine: AsyncEngine):
    _leader, lan, minh = await make_team(people)
    citizen = people("bac-nong-dan", channel="telegram")
    ref = await ask_for_help(citizen, mode="Gọi điện", phone="0912 345 678")

    # Both volunteers on duty get a claim button; the leader is on duty too? No: not yet.
    lan_notice, minh_notice = await lan.inbox(), await minh.inbox()
    assert ref in texts(lan_notice)
    assert ref in texts(minh_notice)
    assert "0912" not in texts(lan_notice)  # the phone is shown only to whoever claims
    assert "bac-nong-dan" not in texts(lan_notice)  # never the channel id

    won = texts(await lan.send_payload(claim_payload(lan_notice)))
    assert "đã nhận yêu cầu" in won
    assert "0912345678" in won
    lost = texts(await minh.send_payload(claim_payload(minh_notice)))
    assert "đã có tình nguyện viên khác nhận" in lost
    assert any("đã có tình nguyện viên khác nhận" in r.text for r in await minh.inbox())
    assert "đã nhận yêu cầu" in texts(await citizen.inbox())

    # Relay both ways; the FAQ stays quiet for the citizen.
    assert await citizen.say("toi quen mat khau vneid roi") == []
    [to_lan] = await lan.inbox()
    assert "quen mat khau vneid" in to_lan.text
    assert ref in to_lan.text
    assert await lan.say("Bác mở ứng dụng VNeID, bấm Quên mật khẩu nhé") == []
    [to_citizen] = await citizen.inbox()
    assert "Quên mật khẩu" in to_citizen.text

    # A secret is masked before it is stored or relayed, and the citizen is warned.
    warned = texts(await citizen.say("ma otp la 123456"))
    assert "OTP" in warned
    [masked] = await lan.inbox()
    assert "123456" not in masked.text

    # The volunteer ends, records the outcome and services; the citizen rates.
    assert "Kết quả" in texts(await lan.say("/ketthuc"))
    await lan.press("Đã giải quyết")
    await lan.press("Kích hoạt tài khoản VNeID")
    assert "Đã ghi nhận kết quả" in texts(await lan.press("Xong"))
    assert "chấm điểm" in texts(await citizen.inbox())
    await citizen.press("⭐⭐⭐⭐⭐")
    assert "Cảm ơn" in texts(await citizen.say("cam on chau nhieu"))

    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert (request.status, request.outcome, request.rating) == ("closed", "resolved", 5)
        assert request.services == ["vneid_activation"]
        assert request.rating_comment == "cam on chau nhieu"
        kinds = [
            e.kind
            for e in (
                await session.execute(select(RequestEventRow).order_by(RequestEventRow.id))
            ).scalars()
        ]
        assert kinds == ["created", "notified", "claimed", "ended", "outcome", "rated"]
        stored = [m.text for m in (await session.execute(select(RelayMessageRow))).scalars()]
        assert not any("123456" in m for m in stored)


async def test_two_volunteers_pressing_at_once_exactly_one_wins(people, bot: Bot, engine):
    _, lan, minh = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen)
    payload = claim_payload(await lan.inbox())
    await minh.inbox()
    results = await asyncio.gather(lan.send_payload(payload), minh.send_payload(payload))
    winners = [r for r in results if "đã nhận yêu cầu" in texts(r)]
    assert len(winners) == 1
    async with session_factory(engine)() as session:
        claims = await session.scalar(
            select(func.count()).where(RequestEventRow.kind == "claimed")
        )
    assert claims == 1


async def test_citizen_cancels_and_the_claim_buttons_say_so(people, bot: Bot):
    _, lan, _ = await make_team(people)
    citizen = people("citizen")
    ref = await ask_for_help(citizen)
    payload = claim_payload(await lan.inbox())
    assert "Đã hủy yêu cầu" in texts(await citizen.say("/huy"))
    assert "đã được người dân hủy" in texts(await lan.inbox())
    assert "đã kết thúc hoặc đã bị hủy" in texts(await lan.send_payload(payload))
    assert ref


async def test_nobody_claims_then_leader_then_honest_answer(
    people, bot: Bot, clock: FakeClock, engine
):
    leader, lan, minh = await make_team(people)
    await lan.say("/truc tat")
    await minh.say("/truc tat")
    citizen = people("citizen")
    reply = texts(await citizen.say("/gapnguoi"))
    assert "việc gì" in reply
    await citizen.press("VNeID")
    await citizen.say("ia grai, gia lai")
    await citizen.press("Ia Grai")
    await citizen.press("Bỏ qua")
    await citizen.press("Nhắn tin")
    opened = texts(await citizen.press("Đồng ý"))
    assert "số điện thoại" in opened
    opened = texts(await citizen.say("0987654321"))
    assert "chưa có tình nguyện viên trực" in opened
    assert "chưa có tình nguyện viên nhận" in texts(await leader.inbox())

    clock.advance(minutes=61)
    assert await bot.run_due_timers() == 1
    told = await citizen.inbox()
    assert "Bộ phận một cửa" in texts(told)
    assert "đã đóng" in texts(await leader.inbox())  # the leader's claim button is settled
    # The citizen asks to be called back: the request goes back to the queue as a call.
    queued = texts(await citizen.press("gọi lại"))
    assert "gọi lại" in queued
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert (request.status, request.mode) == ("open", "phone")


async def test_escalation_after_the_claim_timeout_survives_a_restart(
    people, bot: Bot, clock: FakeClock, content, matcher, places, config, engine
):
    leader, _lan, _ = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen)
    await leader.inbox()
    clock.advance(minutes=16)
    # A new Bot over the same database: the timers were stored, not kept in memory.
    from bot.assistant import Assistant
    from bot.dialogue import Dialogue
    from bot.services import Bot as FreshBot
    from bot.support.common import Toolkit

    restarted = FreshBot(
        Assistant(Dialogue(content, matcher), Toolkit(content.support, places, config)),
        session_factory(engine),
        clock,
    )
    assert await restarted.run_due_timers() == 1
    assert "chưa có tình nguyện viên nhận" in texts(await leader.inbox())
    assert await restarted.run_due_timers() == 0  # done timers never run twice


async def test_idle_session_closes_itself(people, bot: Bot, clock: FakeClock):
    _, lan, _ = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.inbox()
    clock.advance(minutes=20)
    await citizen.say("con do khong a")
    await lan.inbox()
    clock.advance(minutes=20)  # 40 min after the claim, 20 after the last message
    await bot.run_due_timers()
    assert await citizen.inbox() == []  # still active: the timer moved on
    clock.advance(minutes=31)
    await bot.run_due_timers()
    assert "lâu không có tin nhắn" in texts(await citizen.inbox())
    assert "Kết quả" in texts(await lan.inbox())


async def test_volunteer_hands_back_and_another_takes_over(people, bot: Bot):
    _, lan, minh = await make_team(people)
    citizen = people("citizen")
    ref = await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await minh.inbox()
    assert await lan.inbox() == []
    assert "Đã trả" in texts(await lan.say("/tra"))
    assert "bận" in texts(await citizen.inbox())
    # The one who handed it back is not asked to take it again; the others are.
    assert await lan.inbox() == []
    renotified = await minh.inbox()
    assert ref in texts(renotified)
    assert "đã nhận yêu cầu" in texts(await minh.send_payload(claim_payload(renotified)))


async def test_a_handed_back_request_nobody_takes_is_given_up_and_the_citizen_told(
    people, bot: Bot, clock: FakeClock, engine
):
    """Issue 13: claiming cancels the give-up timer and handing back scheduled only the
    escalation, so a request handed back with /tra that nobody took stayed open forever."""
    _, lan, minh = await make_team(people)
    citizen = people("citizen", channel="telegram")
    ref = await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await minh.inbox()
    assert "đã nhận yêu cầu" in texts(await citizen.inbox())
    clock.advance(minutes=10)
    assert "Đã trả" in texts(await lan.say("/tra"))
    assert "bận" in texts(await citizen.inbox())
    assert ref in texts(await minh.inbox())  # asked again, and does not answer

    worker = Worker(bot, interval=3600)  # the real loop; only woken rounds run here
    worker.start()
    try:
        clock.advance(minutes=61)  # past the give-up time, counted from the hand-back
        await asyncio.wait_for(worker.next_round(), 30)
        clock.advance(minutes=60)
        await asyncio.wait_for(worker.next_round(), 30)
    finally:
        await worker.stop()

    told = texts(await citizen.inbox())
    assert "Bộ phận một cửa" in told
    assert ref in told
    assert "đã đóng" in texts(await minh.inbox())  # the claim buttons are settled
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert request.status == "unclaimed"
        query = select(RequestEventRow.kind).order_by(RequestEventRow.id)
        kinds = list(await session.scalars(query))
        assert kinds.count("unclaimed") == 1
        assert kinds[-1] == "unclaimed"
        waiting = await session.scalar(
            select(func.count()).where(TimerRow.done_at.is_(None), TimerRow.kind != "idle")
        )
        assert waiting == 0  # nothing left to fire for this request


async def test_volunteer_transfers_a_session_by_handle(people, bot: Bot):
    _, lan, minh = await make_team(people)
    minh_handle = (await minh.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    citizen = people("citizen")
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await minh.inbox()
    assert "Đã chuyển" in texts(await lan.say(f"/chuyen {minh_handle}"))
    assert "chuyển phiên" in texts(await minh.inbox())
    await citizen.inbox()
    await citizen.say("alo")
    assert "alo" in texts(await minh.inbox())
    assert await lan.inbox() == []


async def test_citizen_cannot_use_volunteer_commands_and_is_audited(people, bot: Bot, engine):
    citizen = people("citizen")
    assert "chỉ dành cho" in texts(await citizen.say("/hangdoi"))
    assert "chỉ dành cho" in texts(await citizen.say("/totruong ABCDEF xa ia grai"))
    assert "không hiểu lệnh" in texts(await citizen.say("/lamgi"))
    async with session_factory(engine)() as session:
        denied = (
            await session.execute(select(AuditRow).where(AuditRow.action == "denied"))
        ).scalars()
        assert sorted(row.detail["command"] for row in denied) == ["hangdoi", "totruong"]


async def test_invite_code_used_up_or_expired(people, bot: Bot, clock: FakeClock):
    operator, leader = people("operator"), people("leader")
    handle = (await leader.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    await operator.say(f"/totruong {handle} xa ia grai gia lai")
    code = texts(await leader.say("/moi 1 1")).split("/thamgia ")[1].split()[0]
    assert "Chào mừng" in texts(await people("a").say(f"/thamgia {code}"))
    assert "hết lượt" in texts(await people("b").say(f"/thamgia {code}"))
    code = texts(await leader.say("/moi 5 1")).split("/thamgia ")[1].split()[0]
    clock.advance(days=2)
    assert "hết hạn" in texts(await people("c").say(f"/thamgia {code.lower()}"))
    assert "không đúng" in texts(await people("d").say("/thamgia KHONGCO"))


async def test_an_invite_link_starting_with_xa_joins_and_a_poster_link_does_not(
    people, bot: Bot, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
):
    """`/start xa<digits>` is a commune's poster; an invite code may begin with XA (it once
    did by chance, 1 in 576, and the volunteer got the plain welcome)."""
    operator, leader = people("operator"), people("leader")
    handle = (await leader.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    await operator.say(f"/totruong {handle} xa ia grai gia lai")
    code = texts(await leader.say("/moi 2 1")).split("/thamgia ")[1].split()[0]
    async with session_factory(engine).begin() as session:
        await session.execute(
            update(InviteRow).where(InviteRow.code == code).values(code="XA3KCDEFGH")
        )
    assert "Chào mừng" in texts(await people("a").say("/start XA3KCDEFGH"))
    assert "Chào mừng" not in texts(await people("b").say("/start xa23764"))
    drawn = iter(["XA" + "C" * 8, "K" * 10])  # a new code is never one starting with XA
    monkeypatch.setattr("storage.teams.new_code", lambda length: next(drawn))
    fresh = texts(await leader.say("/moi 2 1")).split("/thamgia ")[1].split()[0]
    assert fresh == "K" * 10


async def test_citizen_typing_during_the_handoff_is_not_lost(people, bot: Bot):
    """Before a claim, the FAQ still answers; after it, words go to the volunteer."""
    _, lan, _ = await make_team(people)
    citizen = people("citizen")
    ref = await ask_for_help(citizen)
    waiting = texts(await citizen.say("cach kich hoat vneid muc 2"))
    assert waiting  # the FAQ answers while the request waits
    again = texts(await citizen.say("/gapnguoi"))
    assert "đang chờ" in again
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.inbox()
    assert await citizen.say("chau oi bac van chua vao duoc") == []  # no FAQ answer now
    [relayed] = await lan.inbox()
    assert "chau oi bac van chua vao duoc" in relayed.text
    assert ref in relayed.text


async def test_a_closed_request_cannot_be_claimed(people, bot: Bot):
    _, lan, minh = await make_team(people)
    citizen = people("citizen")
    ref = await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await lan.say("/ketthuc")
    assert "đã kết thúc" in texts(await minh.say(f"/nhan {ref}"))


async def test_redelivered_update_gives_one_reply(people, bot: Bot, engine):
    from bot.messages import ConversationKey, IncomingMessage

    message = IncomingMessage(ConversationKey("telegram", "42"), text="xin chao", message_id="u1")
    first = await bot.handle(message)
    second = await bot.handle(message)
    assert first
    assert second == []


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "x" * 10_000])
async def test_odd_text_during_the_intake_gets_a_polite_question(people, bot: Bot, text):
    citizen = people("citizen")
    await citizen.say("/gapnguoi")
    await citizen.press("VNeID")
    replies = await citizen.say(text)
    assert replies
    assert all(r.text for r in replies)


async def test_an_ambiguous_commune_is_settled_with_buttons(people, bot: Bot):
    citizen = people("citizen")
    await citizen.say("/gapnguoi")
    await citizen.press("VNeID")
    asked = texts(await citizen.say("xa tan phu"))
    assert "nhiều tỉnh" in asked
    assert "Xã Tân Phú, Đồng Nai" in [b.title for b in citizen.shown]
    confirmed = texts(await citizen.press("Tân Phú, Đồng Nai"))
    assert "Đã ghi nhận nơi ở - Xã Tân Phú, Đồng Nai" in confirmed
    assert "mô tả" in confirmed


async def test_an_unknown_place_asks_again_and_never_guesses(people, bot: Bot):
    citizen = people("citizen")
    await citizen.say("/gapnguoi")
    await citizen.press("VNeID")
    for _ in range(2):
        assert "chưa tìm thấy" in texts(await citizen.say("o nha toi"))
    assert "Bộ phận một cửa" in texts(await citizen.say("o nha toi"))
    assert "Đã dừng" in texts(await citizen.say("huy"))


async def intake_until_consent(
    citizen: Person, typed: str = "xa ia grai gia lai", pressed: str = "Ia Grai"
) -> str:
    """The intake up to the consent question (a request by message); returns that question."""
    await citizen.say("toi can nguoi giup")
    await citizen.press("VNeID")
    await citizen.say(typed)
    await citizen.press(pressed)
    await citizen.say("khong dang nhap duoc vneid")
    return texts(await citizen.press("Nhắn tin"))


async def test_a_commune_without_a_team_is_told_the_truth(people, bot: Bot, engine):
    """No team in the commune: the request goes to the coordinators, and the citizen is told
    exactly that (not that a team leader was told)."""
    operator = people("operator")
    await operator.say("/toi")  # the operator exists in the database
    citizen = people("citizen")
    await intake_until_consent(citizen)
    opened = texts(await citizen.press("Không đồng ý"))
    assert "Mã yêu cầu: HT-" in opened
    assert "cán bộ điều phối" in opened
    assert "tổ trưởng" not in opened
    assert "chưa có tình nguyện viên nhận" in texts(await operator.inbox())


@pytest.mark.parametrize("config", [SupportConfig()])  # no operators configured
async def test_nobody_to_tell_is_said_honestly(people, bot: Bot, config):
    citizen = people("citizen")
    consent = await intake_until_consent(citizen)
    assert f"{config.retention_days} ngày" in consent  # how long the phone number is kept
    assert "đơn vị vận hành" in consent  # who keeps it
    opened = texts(await citizen.press("Không đồng ý"))
    assert "Mã yêu cầu: HT-" in opened
    assert "tổ trưởng" not in opened
    assert "cán bộ điều phối" not in opened
    assert "Bộ phận một cửa" in opened


async def test_a_long_message_full_of_numbers_is_masked_then_fits(people, bot: Bot, engine):
    """Masking makes a text longer ("0912345678" -> "[số điện thoại]"): a 3,750-character
    message used to outgrow the 4,096-character column on PostgreSQL and be lost."""
    _, lan, _ = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.inbox()
    warned = texts(await citizen.say("goi 0912345678 " * 250))
    assert warned == "" or "OTP" in warned
    [relayed] = await lan.inbox()
    assert "0912" not in relayed.text
    async with session_factory(engine)() as session:
        [stored] = [m.text for m in (await session.execute(select(RelayMessageRow))).scalars()]
    assert len(stored) <= 4096
    assert "0912" not in stored
    assert stored.startswith("goi [số điện thoại]")


@pytest.mark.parametrize("args", ["-1 -5", "-1", "2 -5", "nam", "2 7 9", "²", "0", "51", "2 91"])
async def test_bad_invite_arguments_get_the_usage_line(people, bot: Bot, engine, args: str):
    """`/moi -1 -5` used to create a 1-use, 7-day code silently."""
    leader, _, _ = await make_team(people)
    reply = texts(await leader.say(f"/moi {args}"))
    assert "Cách dùng: /moi" in reply
    assert "/thamgia" not in reply
    async with session_factory(engine)() as session:
        created = await session.scalar(
            select(func.count()).where(AuditRow.action == "invite_created")
        )
    assert created == 1  # only the one make_team made


async def test_no_arguments_still_mean_the_defaults(people, bot: Bot):
    leader, _, _ = await make_team(people)
    assert "/thamgia" in texts(await leader.say("/moi"))


async def test_waiting_requests_of_one_commune_never_share_a_pseudonym(people, bot: Bot, engine):
    """Issue 11 §16: with 16 names drawn at random, two open requests often shared one (and
    17 always did)."""
    await make_team(people)
    for n in range(17):
        await ask_for_help(people(f"citizen-{n}"))
    async with session_factory(engine)() as session:
        names = [r.pseudonym for r in (await session.execute(select(HelpRequestRow))).scalars()]
    assert len(names) == 17
    assert len(set(names)) == 17


async def test_nul_and_lone_surrogates_are_cleaned_at_the_edge(people, bot: Bot, engine):
    """Issue 11 §10: PostgreSQL refuses NUL in text, so such a relayed message failed every
    retry; it is cleaned when it arrives, and the rest of it is relayed."""
    _, lan, _ = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.inbox()
    await citizen.say("xin\x00 chao \ud800 chau\x07")
    [relayed] = await lan.inbox()
    assert "xin chao" in relayed.text
    async with session_factory(engine)() as session:
        [stored] = [m.text for m in (await session.execute(select(RelayMessageRow))).scalars()]
    assert "\x00" not in stored
    assert "\ud800" not in stored
    assert stored.startswith("xin chao")


async def test_guessing_invite_codes_is_limited_and_audited(
    people, bot: Bot, engine, clock: FakeClock
):
    """Issue 11 §5: about 3,000 guesses a minute were accepted. Five wrong codes in ten
    minutes lock the person and the chat, even the right code is refused until then."""
    leader, _, _ = await make_team(people)
    code = texts(await leader.say("/moi 1 1")).split("/thamgia ")[1].split()[0]
    assert len(code) >= 10
    guesser = people("guesser", channel="telegram")
    for n in range(5):
        assert "không đúng" in texts(await guesser.say(f"/thamgia WRONG{n}CODE"))
    locked = texts(await guesser.say(f"/thamgia {code}"))
    assert "sai mã quá nhiều lần" in locked
    assert "10 phút" in locked
    # Deleting one's data makes a new person, but the chat keeps its count.
    await guesser.say("/xoadulieu xacnhan")
    assert "sai mã quá nhiều lần" in texts(await guesser.say(f"/thamgia {code}"))
    async with session_factory(engine)() as session:
        failed = await session.scalar(
            select(func.count()).where(AuditRow.action == "invite_failed")
        )
    assert failed == 5
    clock.advance(minutes=11)
    assert "Chào mừng" in texts(await guesser.say(f"/thamgia {code}"))


async def test_guessing_link_codes_is_limited(people, bot: Bot, clock: FakeClock):
    owner = people("owner")
    shown = texts(await owner.say("/lienket"))
    code = shown.split("/lienket ")[1].split()[0]
    assert len(code) >= 10
    guesser = people("guesser", channel="zalo")
    for n in range(5):
        assert "không đúng" in texts(await guesser.say(f"/lienket WRONG{n}CODE"))
    assert "sai mã quá nhiều lần" in texts(await guesser.say(f"/lienket {code}"))
    clock.advance(minutes=11)
    assert "Đồng ý" in texts(await guesser.say(f"/lienket {code}"))  # now asks the owner


async def test_a_volunteer_serves_only_the_team_commune(people, bot: Bot, engine):
    """Issue 11 §4: `/xa <any commune>` let a volunteer read and claim another commune's
    requests."""
    _, lan, _ = await make_team(people)  # the team of Xã Ia Grai, Gia Lai
    refused = texts(await lan.say("/xa phuong ba dinh ha noi"))
    assert "tổ trưởng" in refused
    assert "Ba Đình" not in texts(await lan.say("/xa"))
    citizen = people("far-away")
    await intake_until_consent(citizen, "phuong ba dinh ha noi", "Ba Đình")
    await citizen.press("Không đồng ý")
    assert all("HT-" not in r.text for r in await lan.inbox())  # not told, cannot claim
    async with session_factory(engine)() as session:
        refusals = await session.scalar(
            select(func.count()).where(AuditRow.action == "commune_refused")
        )
    assert refusals == 1
