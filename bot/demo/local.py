"""The demo's local details and help days (issue 15): each demo commune gets illustrative
local details (marked as examples, never presented as real addresses), two help days held in
the month (with the reminders they sent) and two coming ones; the console citizen lives in the
first commune, so `/sukien` shows them the next day. Seeded directly, as reference data.

Coming days get no reminder requests: starting the bot on the demo sends nothing by itself.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.cast import Cast
from bot.demo.summary import DEMO_MARK
from bot.features.helpdays.rules import remind_at
from storage.local import LocalRepository
from storage.local_models import HelpDayReminderRow, HelpDayRow
from storage.models import PersonRow

__all__ = ["PAST_DAYS", "add_local"]

PAST_DAYS = (20, 6)  # days before today of the help days held
COMING_DAYS = (3, 10)  # days after today of the coming ones
EXAMPLE = "(ví dụ minh họa)"


async def add_local(session: AsyncSession, cast: Cast, today: date, at: datetime) -> int:
    """Local details and help days for every demo commune; returns how many days were added."""
    repo = LocalRepository(session)
    first = cast.teams[0].commune
    await repo.save(
        "province",
        first.province_code,
        first.province_code,
        {"opening_hours": f"Giờ hành chính, thứ Hai đến thứ Sáu {EXAMPLE}"},
        None,
        at,
    )
    added = 0
    for number, team in enumerate(cast.teams, start=1):
        commune = team.commune
        await repo.save(
            "commune",
            commune.code,
            commune.province_code,
            {
                "desk_address": f"Bộ phận một cửa, trụ sở UBND {commune.label} {EXAMPLE}",
                "contact": f"Tổ trưởng {team.member(team.plan.leader.slug).display_name}",
                "note": f"Mỗi thứ Bảy tổ có mặt ở nhà văn hóa thôn {number} {DEMO_MARK}",
            },
            None,
            at,
        )
        leader = team.member(team.plan.leader.slug)
        for offset in (*(-d for d in PAST_DAYS), *COMING_DAYS):
            day = today + timedelta(days=offset)
            row = HelpDayRow(
                commune_code=commune.code,
                province_code=commune.province_code,
                day=day,
                start_time="07:30",
                end_time="11:00",
                place=f"Nhà văn hóa thôn {number} {DEMO_MARK}",
                topics=["vneid", "public_services"],
                note="Mang theo căn cước và điện thoại",
                status="planned",
                remind_at=remind_at(day),
                created_by=leader.id,
                created_at=at,
                updated_at=at,
                is_demo=True,
            )
            session.add(row)
            await session.flush()
            added += 1
            if offset < 0:  # held: a few citizens had asked to be reminded, and were
                for person, _ in team.citizens[:3]:
                    session.add(
                        HelpDayReminderRow(
                            help_day_id=row.id,
                            person_id=person.id,
                            asked_at=at,
                            sent_at=remind_at(day),
                        )
                    )
    citizen = next((pid for pid, name in cast.console.items() if name == "demo-nguoidan"), None)
    if citizen is not None:
        home = await session.get(PersonRow, citizen)
        if home is not None:
            home.commune_code, home.commune_set_at = first.code, at
    await session.flush()
    return added
