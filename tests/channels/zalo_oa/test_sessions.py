"""Whole support sessions with a citizen on Zalo: taps as `#payload` text, relay, failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import Bot
from storage import session_factory
from storage.models import HelpRequestRow, OutboxRow
from tests.channels.zalo_oa.conftest import FakeZalo, ZaloPerson
from tests.support.conftest import Person, claim_payload, texts

CITIZEN = "7000000000000000001"
LAN = "7000000000000000002"
MINH = "7000000000000000003"


def joined(lines: list[str]) -> str:
    return "\n".join(lines)


async def invite_code(people) -> str:
    """Operator (console) -> a leader of Xã Ia Grai -> an invite code for volunteers."""
    operator, leader = people("operator"), people("leader")
    handle = (await leader.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    assert "tổ trưởng" in texts(await operator.say(f"/totruong {handle} xa ia grai gia lai"))
    return texts(await leader.say("/moi 5 7")).split("/thamgia ")[1].split()[0]


async def console_volunteer(people: Callable[..., Person], code: str, name: str = "lan") -> Person:
    volunteer = people(name)
    assert "Chào mừng" in texts(await volunteer.say(f"/thamgia {code}"))
    assert "Đã bật trực" in texts(await volunteer.say("/truc bat"))
    return volunteer


async def zalo_volunteer(
    zalo_people: Callable[[str], ZaloPerson], code: str, user_id: str
) -> ZaloPerson:
    volunteer = zalo_people(user_id)
    assert "Chào mừng" in joined(await volunteer.say(f"/thamgia {code}"))
    assert "Đã bật trực" in joined(await volunteer.say("/truc bat"))
    return volunteer


async def ask_for_help(citizen: ZaloPerson) -> str:
    """The intake on Zalo, typed without diacritics; every choice is a tapped button."""
    assert "việc gì" in joined(await citizen.say("toi can nguoi giup"))
    await citizen.press("VNeID")
    assert "Ia Grai" in joined(await citizen.say("xa ia grai gia lai"))
    await citizen.press("Ia Grai")
    await citizen.say("khong dang nhap duoc vneid")
    await citizen.press("Nhắn tin")
    opened = joined(await citizen.press("Không đồng ý"))
    assert "Mã yêu cầu: HT-" in opened
    return opened.split("Mã yêu cầu: ")[1].split(".")[0]


def claim_button(zalo: FakeZalo, user_id: str) -> dict[str, Any]:
    for sent in reversed([s for s in zalo.sent if s.user_id == user_id]):
        for button in sent.buttons:
            if button["payload"].startswith("#c:"):
                return button
    raise AssertionError("no claim button")


async def _request(engine: AsyncEngine) -> HelpRequestRow:
    async with session_factory(engine)() as session:
        return (await session.execute(select(HelpRequestRow))).scalar_one()


async def test_a_whole_session_on_zalo_from_request_to_rating(
    people, zalo_people, zalo: FakeZalo, engine: AsyncEngine
):
    code = await invite_code(people)
    lan = await zalo_volunteer(zalo_people, code, LAN)
    minh = await zalo_volunteer(zalo_people, code, MINH)
    citizen = zalo_people(CITIZEN)
    ref = await ask_for_help(citizen)

    # Both volunteers hear of it on Zalo, with a claim button; the first tap wins.
    assert ref in joined(await lan.flush())
    assert ref in joined(minh.new_texts())
    lan_claim = claim_button(zalo, LAN)
    minh_claim = claim_button(zalo, MINH)
    assert lan_claim["payload"] == minh_claim["payload"]
    assert "đã nhận yêu cầu" in joined(await lan.say(lan_claim["payload"]))
    # Zalo cannot edit: minh's claim notice is "replaced" by a new message saying so.
    assert "đã có tình nguyện viên khác nhận" in joined(await minh.flush())
    # Tapping the old button still gets an honest answer.
    assert "đã có tình nguyện viên khác nhận" in joined(await minh.say(minh_claim["payload"]))
    assert "đã nhận yêu cầu" in joined(await citizen.flush())

    # Relay both ways; the FAQ stays quiet for the citizen.
    assert await citizen.say("toi quen mat khau vneid roi") == []
    [to_lan] = await lan.flush()
    assert "quen mat khau vneid" in to_lan
    assert await lan.say("Bác mở ứng dụng VNeID, bấm Quên mật khẩu nhé") == []
    [to_citizen] = await citizen.flush()
    assert "Quên mật khẩu" in to_citizen

    # The volunteer ends and records the outcome; the citizen rates with a tap.
    assert "Kết quả" in joined(await lan.say("/ketthuc"))
    await lan.press("Đã giải quyết")
    await lan.press("Kích hoạt tài khoản VNeID")
    assert "Đã ghi nhận kết quả" in joined(await lan.press("Xong"))
    assert "chấm điểm" in joined(await citizen.flush())
    await citizen.press("⭐⭐⭐⭐⭐")
    assert "Cảm ơn" in joined(await citizen.say("cam on chau nhieu"))

    request = await _request(engine)
    assert (request.status, request.outcome, request.rating) == ("closed", "resolved", 5)
    assert request.rating_comment == "cam on chau nhieu"
    assert all(len(s.buttons) <= 5 for s in zalo.sent)
    assert all(len(s.text) <= 2000 for s in zalo.sent)


@pytest.mark.parametrize(
    ("error", "notice"),
    [
        (-230, "undeliverable_window"),
        (-211, "undeliverable_quota"),
        (-213, "undeliverable_blocked"),
    ],
)
async def test_a_relayed_message_zalo_refuses_is_reported_to_the_volunteer(
    error: int,
    notice: str,
    people,
    zalo_people,
    zalo: FakeZalo,
    runtime,
    bot: Bot,
    engine: AsyncEngine,
):
    lan = await console_volunteer(people, await invite_code(people))
    citizen = zalo_people(CITIZEN)
    await ask_for_help(citizen)
    assert "đã nhận yêu cầu" in texts(await lan.send_payload(claim_payload(await lan.inbox())))
    assert "đã nhận yêu cầu" in joined(await citizen.flush())

    zalo.send_answers.append({"error": error, "message": "refused by Zalo"})
    assert await lan.say("Bác còn cần giúp gì không ạ?") == []
    assert await runtime.dispatcher.flush() == 0
    assert citizen.new_texts() == []

    async with session_factory(engine)() as session:
        row = (
            (
                await session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.channel == "zalo")
                    .order_by(OutboxRow.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert row is not None
    assert row.status == "undeliverable"
    assert str(error) in (row.error or "")
    told = texts(await lan.inbox())
    assert bot.assistant.t(notice) in told
    assert "Bác còn cần" not in (row.error or "")  # the text never lands in the error


async def test_rate_limited_sends_wait_a_minute_then_go_out(
    people, zalo_people, zalo: FakeZalo, runtime, clock
):
    lan = await console_volunteer(people, await invite_code(people))
    citizen = zalo_people(CITIZEN)
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.flush()
    zalo.send_answers.append({"error": -32, "message": "Your OA reached limit call api"})
    await lan.say("Bác đợi cháu một chút")
    assert await runtime.dispatcher.flush() == 0
    clock.advance(seconds=30)
    assert await runtime.dispatcher.flush() == 0  # still waiting
    clock.advance(seconds=31)
    assert await runtime.dispatcher.flush() == 1
    assert any("đợi cháu" in t for t in citizen.new_texts())
    assert await lan.inbox() == []  # nothing was lost: no notice


async def test_unfollowing_during_an_open_request_cancels_it_quietly(
    people, zalo_people, zalo: FakeZalo, engine: AsyncEngine
):
    lan = await console_volunteer(people, await invite_code(people))
    citizen = zalo_people(CITIZEN)
    ref = await ask_for_help(citizen)
    assert ref in texts(await lan.inbox())
    sends = zalo.send_calls
    assert await citizen.deliver(citizen.event("unfollow")) == []
    assert zalo.send_calls == sends  # nobody writes to someone who just left
    assert (await _request(engine)).status == "cancelled"
    assert "đã được người dân hủy" in texts(await lan.inbox())


async def test_unfollowing_during_an_active_session_ends_it_for_the_volunteer(
    people, zalo_people, zalo: FakeZalo, engine: AsyncEngine
):
    lan = await console_volunteer(people, await invite_code(people))
    citizen = zalo_people(CITIZEN)
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.flush()
    await citizen.deliver(citizen.event("unfollow"))
    assert (await _request(engine)).status == "closed"
    assert "Người dân đã kết thúc phiên" in texts(await lan.inbox())
    assert await citizen.flush() == []


async def test_a_location_shared_at_the_commune_question_suggests_communes(zalo_people, bot: Bot):
    citizen = zalo_people(CITIZEN)
    await citizen.say("/gapnguoi")
    await citizen.press("VNeID")
    answer = joined(await citizen.deliver(citizen.event("user_send_location")))
    assert bot.assistant.t("location_not_needed") not in answer
    assert answer  # communes near the point, or a polite request to type the name


async def test_a_leader_on_zalo_asking_for_the_report_is_told_where_to_get_the_file(
    people, zalo_people, zalo: FakeZalo
):
    leader = zalo_people(LAN)
    handle = joined(await leader.say("/toi")).split("Mã của anh/chị: ")[1].split()[0]
    await people("operator").say(f"/totruong {handle} xa ia grai gia lai")
    await leader.flush()
    report = joined(await leader.say("/baocao"))
    assert "Báo cáo" in report
    assert "không gửi được qua Zalo" in report
    assert zalo.send_calls == len(zalo.sent)  # no upload or file endpoint was tried
