"""Steps the help-day and local-details tests share."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import Bot
from storage.local_models import HelpDayRow
from tests.support.conftest import Person, texts


async def choose_commune(citizen: Person, typed: str, label: str) -> None:
    """A citizen names their commune with /xa, typing without diacritics, and confirms."""
    await citizen.say(f"/xa {typed}")
    assert "Đã ghi nhận" in texts(await citizen.press(label))


async def post_help_day(
    poster: Person, day: str = "28/11", typed: str | None = None, pressed: str = ""
) -> str:
    """A leader (or, naming the commune, an operator) posts a day through /sukien."""
    asked = texts(await poster.say("/sukien moi"))
    if typed is not None:
        assert "xã/phường nào" in asked
        await poster.say(typed)
        await poster.press(pressed)
    else:
        assert "Ngày tổ chức" in asked
    await poster.say(day)
    await poster.say("7:30-11:00")
    await poster.say("Nha van hoa thon 2")
    await poster.press("VNeID")
    await poster.press("Xong")
    return texts(await poster.press("Bỏ qua"))


async def help_days(bot: Bot) -> list[HelpDayRow]:
    async with bot.sessions() as session:
        return list((await session.execute(select(HelpDayRow).order_by(HelpDayRow.id))).scalars())
