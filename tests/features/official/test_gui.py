"""`/gui`: a volunteer sends the checked FAQ answer to the citizen they are helping."""

from __future__ import annotations

from sqlalchemy import select

from bot import payloads
from bot.services import Bot
from content import Content
from storage.models import RequestEventRow
from tests.support.conftest import Person, claim_payload, texts
from tests.support.test_sessions import ask_for_help, make_team


async def _session(people) -> tuple[Person, Person, Person]:
    """A citizen in an active session with Lan; what they said since is relayed."""
    _leader, lan, minh = await make_team(people)
    citizen = people("citizen", channel="telegram")
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await minh.inbox()
    await citizen.inbox()
    return citizen, lan, minh


async def test_gui_with_words_offers_three_answers_and_sends_the_chosen_one(
    people, bot: Bot, content: Content
) -> None:
    citizen, lan, _ = await _session(people)
    offer = await lan.say("/gui đăng ký tài khoản định danh điện tử VNeID")
    assert "Bấm vào một câu" in texts(offer)
    buttons = offer[0].buttons
    assert 1 <= len(buttons) <= 3
    chosen = payloads.parse(buttons[0].payload)
    assert chosen is not None
    intent_id = chosen.value.split("#", 1)[1]
    assert intent_id.startswith("vneid.")
    done = texts(await lan.press(buttons[0].title))
    assert "Đã gửi cho người dân" in done
    [official] = await citizen.inbox()
    assert official.text.startswith("📌 Câu trả lời chính thức")
    assert content.intents[intent_id].answer in official.text
    [sources] = official.buttons
    assert sources.payload == payloads.encode("sources", intent_id)
    where = texts(await citizen.press(sources.title))  # the citizen asks for the sources
    assert "http" in where
    async with bot.sessions() as session:
        events = (
            await session.execute(
                select(RequestEventRow).where(RequestEventRow.kind == "official_answer")
            )
        ).scalars()
        [event] = list(events)
        assert event.detail == {"intent": intent_id}


async def test_gui_without_words_uses_the_citizens_last_question(people, bot: Bot) -> None:
    citizen, lan, _ = await _session(people)
    await citizen.say("cho tôi hỏi cách thanh toán tiền điện bằng mã QR")
    await lan.inbox()
    offer = await lan.say("/gui")
    assert "thanh toán tiền điện" in offer[0].text
    values = [payloads.parse(b.payload) for b in offer[0].buttons]
    assert any(v is not None and "cashless." in v.value for v in values)


async def test_gui_needs_a_session_and_a_volunteer(people, bot: Bot) -> None:
    _leader, lan, _ = await make_team(people)
    assert "chưa có phiên" in texts(await lan.say("/gui vneid"))
    citizen = people("someone")
    assert "chỉ dành cho tình nguyện viên" in texts(await citizen.say("/gui vneid"))
