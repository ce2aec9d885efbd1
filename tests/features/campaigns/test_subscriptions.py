"""Opting in and out of a commune's news, in the chat, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import Bot
from storage import session_factory
from storage.campaign_models import SubscriptionRow
from storage.models import PersonRow
from tests.support.conftest import texts


async def _subscriptions(bot: Bot) -> list[SubscriptionRow]:
    async with bot.sessions() as session:
        return list((await session.execute(select(SubscriptionRow))).scalars())


async def test_nhantin_asks_the_commune_then_records_the_opt_in(people, bot: Bot, clock) -> None:
    citizen = people("nong_dan")
    asked = texts(await citizen.say("/nhantin"))
    assert "xã/phường nào" in asked
    assert await _subscriptions(bot) == []
    done = texts(await citizen.say("xa ia grai gia lai"))  # no diacritics
    assert "Đã đăng ký nhận tin của Xã Ia Grai" in done
    assert "/tatnhantin" in done
    [row] = await _subscriptions(bot)
    assert (row.channel, row.created_at) == ("console", clock.now)
    async with bot.sessions() as session:
        person = await session.get(PersonRow, row.person_id)
        assert person is not None
        assert person.commune_code == row.commune_code
    shown = texts(await citizen.say("/dulieu"))
    assert "Nhận tin của: Xã Ia Grai" in shown


async def test_a_known_commune_is_used_and_an_unknown_name_asked_again(people, bot: Bot) -> None:
    citizen = people("c1")
    assert "Đã đăng ký" in texts(await citizen.say("/nhantin xa ia grai gia lai"))
    await citizen.say("/tatnhantin")
    assert await _subscriptions(bot) == []
    # The commune is remembered: the next /nhantin does not ask again.
    assert "Đã đăng ký nhận tin của Xã Ia Grai" in texts(await citizen.say("/nhantin"))
    other = people("c2")
    await other.say("/nhantin")
    assert "chưa tìm thấy" in texts(await other.say("xyzxyz abcabc"))
    assert "chưa tìm thấy" in texts(await other.say("qqqqqq wwwwww"))
    assert "chưa đăng ký" in texts(await other.say("zzzzzz vvvvvv"))
    assert len(await _subscriptions(bot)) == 1


async def test_opt_out_and_opt_out_without_opt_in(people, bot: Bot) -> None:
    citizen = people("c3")
    assert "chưa đăng ký" in texts(await citizen.say("/tatnhantin"))
    await citizen.say("/nhantin xa ia grai gia lai")
    assert "Đã ngừng gửi tin" in texts(await citizen.say("/tatnhantin"))
    assert await _subscriptions(bot) == []
    assert "Nhận tin của" not in texts(await citizen.say("/dulieu"))


async def test_xoadulieu_removes_the_subscription(people, bot: Bot, engine) -> None:
    citizen = people("c4")
    await citizen.say("/nhantin xa ia grai gia lai")
    await citizen.say("/xoadulieu xacnhan")
    assert await _subscriptions(bot) == []
    async with session_factory(engine)() as session:
        person = (
            await session.execute(select(PersonRow).where(PersonRow.role == "citizen"))
        ).scalar_one()
        assert person.commune_code is None
        assert person.deleted_at is not None
