"""A whole support session with the citizen on the Zalo Bot platform, choosing by number."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select

from bot.services import Bot
from storage.models import HelpRequestRow, RequestEventRow
from tests.channels.zalo_bot import Harness, ZaloPerson, choices, harness
from tests.support.conftest import FakeClock, Person, claim_payload, texts


@pytest.fixture
async def channel(bot: Bot) -> AsyncIterator[Harness]:
    async with harness(bot) as opened:
        yield opened


async def make_volunteer(people: Callable[[str], Person]) -> Person:
    """Operator -> leader of Xã Ia Hrung -> invite -> one volunteer on duty, all on console."""
    operator, leader = people("operator"), people("leader")
    handle = (await leader.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    assert "tổ trưởng" in texts(await operator.say(f"/totruong {handle} xa ia hrung gia lai"))
    code = texts(await leader.say("/moi 2 7")).split("/thamgia ")[1].split()[0]
    lan = people("lan")
    assert "Chào mừng" in texts(await lan.say(f"/thamgia {code}"))
    assert "Đã bật trực" in texts(await lan.say("/truc bat"))
    return lan


async def ask_for_help(citizen: ZaloPerson) -> str:
    """The intake as a farmer does it on Zalo: typing without diacritics, choosing by number."""
    assert "việc gì" in await citizen.say("toi can nguoi giup")
    await citizen.choose("VNeID")
    assert "Ia Hrung" in await citizen.say("xa ia hrung gia lai")
    await citizen.choose("Ia Hrung")
    await citizen.say("khong dang nhap duoc vneid")
    mode = await citizen.choose("Nhắn tin")
    assert "số điện thoại" not in "\n".join(choices(mode).values())  # no share-phone choice
    opened = await citizen.choose("Không đồng ý")
    assert "Mã yêu cầu: HT-" in opened
    return opened.split("Mã yêu cầu: ")[1].split(".")[0]


def ref_message(citizen: ZaloPerson) -> str:
    return next(t for t in citizen.api.sent(citizen.chat) if "Mã yêu cầu: HT-" in t)


async def test_request_claim_relay_end_and_rating_by_numbers(
    channel: Harness, people, bot: Bot
) -> None:
    lan = await make_volunteer(people)
    citizen = channel.person("zalo-citizen-1")
    ref = await ask_for_help(citizen)

    notice = await lan.inbox()
    assert ref in texts(notice)
    assert "zalo-citizen-1" not in texts(notice)  # never the platform's id
    assert "đã nhận yêu cầu" in texts(await lan.send_payload(claim_payload(notice)))
    assert "đã nhận yêu cầu" in await citizen.inbox()

    # Relay both ways: the citizen's words go to the volunteer, the answer comes back.
    assert await citizen.say("toi quen mat khau vneid roi") == ""
    [to_lan] = await lan.inbox()
    assert "quen mat khau vneid" in to_lan.text
    assert await lan.say("Bác mở ứng dụng VNeID, bấm Quên mật khẩu nhé") == []
    assert "Quên mật khẩu" in await citizen.inbox()
    # A bare number during the session, with no choice shown since, is relayed as words.
    # A "1" typed now is an answer to the volunteer, not the "cancel request" shown earlier.
    assert choices(ref_message(citizen)) == {1: "Hủy yêu cầu"}
    assert await citizen.say("1") == ""
    [one] = await lan.inbox()
    assert one.text.endswith(": 1")

    # The volunteer ends; the citizen rates by typing the number of five stars, then comments.
    assert "Kết quả" in texts(await lan.say("/ketthuc"))
    await lan.press("Đã giải quyết")
    await lan.press("Kích hoạt tài khoản VNeID")
    assert "Đã ghi nhận kết quả" in texts(await lan.press("Xong"))
    rating = await citizen.inbox()
    assert "chấm điểm" in rating
    # Typing a number means that many stars (issue 11 §15: "5" used to be stored as 1).
    assert [choices(rating)[n] for n in range(1, 6)] == ["⭐" * n for n in range(1, 6)]
    await citizen.say("5")
    assert "Cảm ơn" in await citizen.say("cam on chau nhieu")

    async with bot.sessions() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert (request.status, request.outcome, request.rating) == ("closed", "resolved", 5)
        assert request.rating_comment == "cam on chau nhieu"
        kinds = [
            e.kind
            for e in (
                await session.execute(select(RequestEventRow).order_by(RequestEventRow.id))
            ).scalars()
        ]
        assert kinds == ["created", "notified", "claimed", "ended", "outcome", "rated"]


async def test_a_volunteer_on_zalo_claims_by_number(
    channel: Harness, people, bot: Bot, clock: FakeClock
) -> None:
    """The other way round: the citizen on console, the volunteer on the Zalo Bot platform."""
    operator, leader = people("operator"), people("leader")
    handle = (await leader.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    await operator.say(f"/totruong {handle} xa ia hrung gia lai")
    code = texts(await leader.say("/moi 2 7")).split("/thamgia ")[1].split()[0]
    lan = channel.person("zalo-volunteer-lan")
    assert "Chào mừng" in await lan.say(f"/thamgia {code}")
    assert "Đã bật trực" in await lan.say("/truc bat")

    clock.advance(minutes=5)  # later that morning, a citizen asks
    citizen = people("citizen")
    await citizen.say("toi can nguoi giup")
    await citizen.press("VNeID")
    await citizen.say("xa ia hrung gia lai")
    await citizen.press("Ia Hrung")
    await citizen.say("khong dang nhap duoc vneid")
    await citizen.press("Nhắn tin")
    opened = texts(await citizen.press("Không đồng ý"))
    ref = opened.split("Mã yêu cầu: ")[1].split(".")[0]

    notice = await lan.inbox()
    assert ref in notice
    assert choices(notice) == {1: "🙋 Tôi nhận giúp"}  # a new notice starts at 1
    claimed = await lan.choose("nhận giúp")
    assert "đã nhận yêu cầu" in claimed
    assert "đã nhận yêu cầu" in texts(await citizen.inbox())
    await citizen.say("chau oi giup bac voi")
    assert "giup bac voi" in await lan.inbox()
