"""What channels bring besides text: a shared location, a shared contact, leaving the bot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assistant import Assistant
from bot.dialogue import Dialogue
from bot.messages import ConversationKey, IncomingMessage
from bot.services import Bot
from bot.support.common import SupportConfig, Toolkit
from content import Content
from intents import Matcher
from intents.places import Places, default_places_dir
from storage import session_factory
from storage.models import HelpRequestRow, VolunteerRow
from tests.support.conftest import FakeClock, Person, texts
from tests.support.test_sessions import IA_GRAI, ask_for_help, make_team

IA_GRAI_POINT = (13.98, 107.86)  # a point for the test's own map, not shipped data


@pytest.fixture
def mapped_places(tmp_path: Path) -> Places:
    """The shipped communes plus a small points file, as an operator would add one."""
    folder = tmp_path / "places"
    folder.mkdir()
    for name in ("admin_units.csv", "province_aliases.csv"):
        (folder / name).write_bytes((default_places_dir() / name).read_bytes())
    (folder / "commune_points.csv").write_text(
        f"commune_code,latitude,longitude\n{IA_GRAI},{IA_GRAI_POINT[0]},{IA_GRAI_POINT[1]}\n",
        encoding="utf-8",
    )
    return Places.load(folder)


def _bot(engine: AsyncEngine, content: Content, matcher: Matcher, places: Places, clock) -> Bot:
    kit = Toolkit(content.support, places, SupportConfig())
    return Bot(Assistant(Dialogue(content, matcher), kit), session_factory(engine), clock)


async def _reach_the_commune_question(citizen: Person) -> None:
    await citizen.say("/gapnguoi")
    assert "xã/phường" in texts(await citizen.press("VNeID"))


async def test_a_location_suggests_the_nearest_commune(
    engine: AsyncEngine, content: Content, matcher: Matcher, mapped_places: Places
):
    bot = _bot(engine, content, matcher, mapped_places, FakeClock())
    citizen = Person(bot, ConversationKey("telegram", "42"))
    await _reach_the_commune_question(citizen)
    near = IncomingMessage(citizen.key, kind="location", location=(13.99, 107.87))
    reply = texts(citizen._remember(await bot.handle(near)))
    assert reply == bot.assistant.t("location_suggest")
    assert [(b.title, b.payload) for b in citizen.shown] == [
        ("Xã Ia Grai, Gia Lai", f"k:commune:{IA_GRAI}"),  # the nearest point of the map
        ("Không phải nơi này", "k:commune:retry"),
        ("Hủy", "x:huy"),
    ]
    assert "Ia Grai" in texts(await citizen.press("Ia Grai"))  # confirmed, the form goes on
    far = Person(bot, ConversationKey("telegram", "43"))
    await _reach_the_commune_question(far)
    hanoi = IncomingMessage(far.key, kind="location", location=(21.03, 105.85))
    assert "chưa tìm được" in texts(await bot.handle(hanoi))


async def test_without_a_map_a_location_asks_for_the_name(people, bot: Bot):
    citizen = people("c1", channel="telegram")
    await _reach_the_commune_question(citizen)
    reply = texts(await citizen.say("", kind="location", location=(13.99, 107.87)))
    assert "gõ tên xã/phường" in reply
    outside = people("c2", channel="telegram")
    assert texts(await outside.say("", kind="location", location=(13.99, 107.87))) == (
        bot.assistant.t("location_not_needed")
    )


async def test_a_contact_outside_the_phone_step_is_not_stored(
    people, bot: Bot, engine: AsyncEngine
):
    citizen = people("c3", channel="telegram")
    reply = texts(await citizen.say("", contact_phone="+84912345678"))
    assert reply == bot.assistant.t("contact_not_needed")
    await ask_for_help(citizen)
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
    assert request.phone is None


async def test_a_volunteer_who_blocks_the_bot_goes_off_duty_and_frees_the_session(
    people, engine: AsyncEngine
):
    _leader, lan, minh = await make_team(people)
    citizen = people("c4", channel="telegram")
    ref = await ask_for_help(citizen)
    notice = await lan.inbox()
    await minh.inbox()
    claim = next(b.payload for r in notice for b in r.buttons if b.payload.startswith("c:"))
    assert "đã nhận" in texts(await lan.send_payload(claim))
    assert await lan.say("", kind="left") == []
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        profiles = (await session.execute(select(VolunteerRow))).scalars().all()
    assert request.status == "open"  # back in the queue for Minh
    assert request.volunteer_id is None
    assert ref in texts(await minh.inbox())
    assert sum(1 for p in profiles if p.on_duty) == 1
