"""Help days and the reminders citizens asked for; reminders are claimed row by row."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.local_models import HelpDayReminderRow, HelpDayRow
from storage.models import PersonRow, TeamRow, VolunteerCommuneRow

__all__ = ["HelpDayRepository"]


class HelpDayRepository:
    """Read and write help days and their reminders; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, help_day_id: int) -> HelpDayRow | None:
        return await self.session.get(HelpDayRow, help_day_id)

    async def add(self, row: HelpDayRow) -> HelpDayRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def upcoming(
        self,
        today: date,
        *,
        communes: list[str] | None = None,
        province_code: str | None = None,
        limit: int = 5,
    ) -> list[HelpDayRow]:
        """Planned days from `today` on, soonest first, in these communes or this province."""
        query = select(HelpDayRow).where(HelpDayRow.status == "planned", HelpDayRow.day >= today)
        if communes is not None:
            query = query.where(HelpDayRow.commune_code.in_(communes))
        if province_code is not None:
            query = query.where(HelpDayRow.province_code == province_code)
        query = query.order_by(HelpDayRow.day, HelpDayRow.start_time, HelpDayRow.id).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def listed(
        self, communes: list[str] | None, provinces: list[str] | None, limit: int = 200
    ) -> list[HelpDayRow]:
        """Every day (past, coming, cancelled) a console user may see, newest first."""
        query = select(HelpDayRow)
        if communes is not None:
            query = query.where(HelpDayRow.commune_code.in_(communes))
        if provinces is not None:
            query = query.where(HelpDayRow.province_code.in_(provinces))
        query = query.order_by(HelpDayRow.day.desc(), HelpDayRow.start_time, HelpDayRow.id)
        return list((await self.session.execute(query.limit(limit))).scalars())

    async def ask_reminder(self, help_day_id: int, person_id: int, now: datetime) -> bool:
        """Remember that this person wants a reminder; False if they had asked already."""
        query = select(HelpDayReminderRow.id).where(
            HelpDayReminderRow.help_day_id == help_day_id,
            HelpDayReminderRow.person_id == person_id,
        )
        if (await self.session.execute(query)).first() is not None:
            return False
        row = HelpDayReminderRow(help_day_id=help_day_id, person_id=person_id, asked_at=now)
        self.session.add(row)
        await self.session.flush()
        return True

    async def due_reminders(
        self, now: datetime, today: date, limit: int = 200
    ) -> list[tuple[int, int, int]]:
        """(reminder id, person id, help day id) of reminders whose time has come (days not
        yet past: a day posted or asked for late is not "reminded" after it happened)."""
        query = (
            select(HelpDayReminderRow.id, HelpDayReminderRow.person_id, HelpDayRow.id)
            .join(HelpDayRow, HelpDayRow.id == HelpDayReminderRow.help_day_id)
            .where(
                HelpDayReminderRow.sent_at.is_(None),
                HelpDayRow.status == "planned",
                HelpDayRow.remind_at <= now,
                HelpDayRow.day > today,  # "ngày mai": never on the day itself
            )
            .order_by(HelpDayReminderRow.id)
            .limit(limit)
        )
        return [(r[0], r[1], r[2]) for r in (await self.session.execute(query)).all()]

    async def claim_reminder(self, reminder_id: int, now: datetime) -> bool:
        """Mark one reminder sent; True only for the one transaction that did it.

        A conditional UPDATE: of two workers (or a worker before and after a restart), only
        the first to commit sees its row change; the other's update matches nothing.
        """
        result = await self.session.execute(
            update(HelpDayReminderRow)
            .where(HelpDayReminderRow.id == reminder_id, HelpDayReminderRow.sent_at.is_(None))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def claim_cancel_notices(self, help_day_id: int, now: datetime) -> list[int]:
        """People to tell that a day is cancelled (each once); marks them told."""
        query = select(HelpDayReminderRow.id, HelpDayReminderRow.person_id).where(
            HelpDayReminderRow.help_day_id == help_day_id,
            HelpDayReminderRow.cancel_told_at.is_(None),
        )
        people: list[int] = []
        for reminder_id, person_id in (await self.session.execute(query)).all():
            result = await self.session.execute(
                update(HelpDayReminderRow)
                .where(
                    HelpDayReminderRow.id == reminder_id,
                    HelpDayReminderRow.cancel_told_at.is_(None),
                )
                .values(cancel_told_at=now)
                .execution_options(synchronize_session=False)
            )
            if int(getattr(result, "rowcount", 0) or 0) == 1:
                people.append(person_id)
        return people

    async def reminder_count(self, help_day_id: int) -> int:
        query = select(func.count()).where(HelpDayReminderRow.help_day_id == help_day_id)
        return int((await self.session.execute(query)).scalar_one())

    async def forget_person(self, person_id: int) -> None:
        """/xoadulieu: the person's reminder requests go with them."""
        await self.session.execute(
            delete(HelpDayReminderRow).where(HelpDayReminderRow.person_id == person_id)
        )

    async def team_communes(self, team_id: int) -> list[str]:
        """A team's commune and the communes its members serve (a team's help days)."""
        team = await self.session.get(TeamRow, team_id)
        served = select(VolunteerCommuneRow.commune_code).join(
            PersonRow, PersonRow.id == VolunteerCommuneRow.person_id
        )
        codes = set(
            (await self.session.execute(served.where(PersonRow.team_id == team_id))).scalars()
        )
        if team is not None:
            codes.add(team.commune_code)
        return sorted(codes)

    async def figures(
        self, start: date, end: date, communes: list[str] | None, province_code: str | None
    ) -> tuple[int, int]:
        """(help days held, people reminded) for days in [start, end] (the report)."""
        held = select(func.count()).where(
            HelpDayRow.status == "planned", HelpDayRow.day >= start, HelpDayRow.day <= end
        )
        reminded = (
            select(func.count())
            .select_from(HelpDayReminderRow)
            .join(HelpDayRow, HelpDayRow.id == HelpDayReminderRow.help_day_id)
            .where(
                HelpDayReminderRow.sent_at.is_not(None),
                HelpDayRow.day >= start,
                HelpDayRow.day <= end,
            )
        )
        if communes is not None:
            held = held.where(HelpDayRow.commune_code.in_(communes))
            reminded = reminded.where(HelpDayRow.commune_code.in_(communes))
        if province_code is not None:
            held = held.where(HelpDayRow.province_code == province_code)
            reminded = reminded.where(HelpDayRow.province_code == province_code)
        return (
            int((await self.session.execute(held)).scalar_one()),
            int((await self.session.execute(reminded)).scalar_one()),
        )
