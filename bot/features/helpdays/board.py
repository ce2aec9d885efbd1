"""The next help days a citizen sees, and the "Nhắc tôi" button behind them.

Their own commune's days first; when it has none, the nearest in time in other communes of
the same province ("nearby"), labelled as such. Nothing at all when there is nothing planned:
an answer never promises a day that nobody posted.
"""

from __future__ import annotations

from bot.features.helpdays.rules import describe, local_today, show_day
from bot.messages import Reply
from bot.support.common import Toolkit, Turn, command_button, typed_number
from storage.helpdays import HelpDayRepository
from storage.local_models import HelpDayRow
from storage.models import PersonRow

__all__ = ["HelpDayBoard"]

SHOWN = 3  # days listed in one answer


class HelpDayBoard:
    """Lists coming help days for a commune and records reminder wishes."""

    def __init__(self, kit: Toolkit) -> None:
        self.kit = kit
        self.t = kit.texts

    async def coming(self, turn: Turn, commune_code: str) -> tuple[list[HelpDayRow], bool]:
        """(days, nearby): the commune's own, else the province's others (nearby=True)."""
        repo = HelpDayRepository(turn.session)
        today = local_today(turn.now)
        own = await repo.upcoming(today, communes=[commune_code], limit=SHOWN)
        if own:
            return own, False
        commune = self.kit.places.commune(commune_code)
        if commune is None:
            return [], False
        near = await repo.upcoming(today, province_code=commune.province_code, limit=SHOWN)
        return near, True

    async def replies(self, turn: Turn, commune_code: str, *, intro: str = "") -> list[Reply]:
        """The coming days as one message with a reminder button each; [] when none."""
        days, nearby = await self.coming(turn, commune_code)
        if not days:
            return []
        commune = self.kit.places.commune(commune_code)
        if nearby:
            province = self.kit.places.province(commune.province_code) if commune else None
            head = self.t("helpdays_nearby_heading", province=province.name if province else "")
        else:
            head = self.t("helpdays_heading", commune=commune.label if commune else commune_code)
        lines = [intro] if intro else []
        lines.append(head)
        lines += [describe(self.t, "helpday_line", day, self.kit.places) for day in days]
        buttons = tuple(
            command_button(
                self.t("helpday_remind_button", day=f"{day.day:%d/%m}"), "nhactoi", str(day.id)
            )
            for day in days
        )
        return [Reply("\n".join(lines), buttons)]

    async def listing(self, turn: Turn, person: PersonRow) -> list[Reply]:
        """`/sukien` for a citizen whose commune is known."""
        code = person.commune_code or ""
        found = await self.replies(turn, code)
        if found:
            return found
        commune = self.kit.places.commune(code)
        return [Reply(self.t("helpdays_none", commune=commune.label if commune else code))]

    async def remind(self, turn: Turn, person: PersonRow, arg: str) -> list[Reply]:
        """`/nhactoi <id>` (the "Nhắc tôi" button): remember, once; say when it will come."""
        number = typed_number(arg)
        repo = HelpDayRepository(turn.session)
        day = await repo.get(number) if number else None
        if day is None or day.status != "planned" or day.day < local_today(turn.now):
            return [Reply(self.t("helpday_remind_gone"))]
        shown = show_day(day.day)
        if day.day == local_today(turn.now):  # too late for a reminder the day before
            return [Reply(self.t("helpday_remind_today", day=shown, place=day.place))]
        if not await repo.ask_reminder(day.id, person.id, turn.now):
            return [Reply(self.t("helpday_remind_again", day=shown))]
        return [Reply(self.t("helpday_remind_ok", day=shown, place=day.place))]
