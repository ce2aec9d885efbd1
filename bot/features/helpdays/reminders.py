"""Reminders the day before, and the "cancelled" notice: each sent once, whatever happens.

The Worker calls `send_due_reminders` every round. Each reminder is claimed with a
conditional UPDATE (sent_at from NULL to now) in the transaction that queues its message in
the outbox: two workers, or one worker before and after a restart, cannot both claim it, and
a crash before the commit leaves it unclaimed with no message queued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.helpdays.rules import describe, local_today
from bot.messages import Reply
from bot.support.common import Toolkit, Turn
from content.support_texts import SupportTexts
from intents.places import Places
from storage.helpdays import HelpDayRepository
from storage.local_models import HelpDayRow

__all__ = ["cancel_day", "send_due_reminders"]


async def send_due_reminders(
    sessions: async_sessionmaker[AsyncSession], kit: Toolkit, now: datetime, limit: int = 200
) -> int:
    """Queue every reminder whose time has come; how many this call queued."""
    today = local_today(now)
    async with sessions.begin() as session:
        due = await HelpDayRepository(session).due_reminders(now, today, limit)
    sent = 0
    for reminder_id, person_id, day_id in due:
        async with sessions.begin() as session:
            repo = HelpDayRepository(session)
            if not await repo.claim_reminder(reminder_id, now):
                continue  # another worker took it
            day = await repo.get(day_id)
            if day is None or day.status != "planned":
                continue
            text = describe(kit.texts, "helpday_reminder", day, kit.places)
            if await Turn.open(session, now).notify_person(person_id, Reply(text)):
                sent += 1
    return sent


async def cancel_day(
    turn: Turn, day: HelpDayRow, texts: SupportTexts, places: Places, by: int | None
) -> int:
    """Cancel a planned day and tell, once each, those who asked to be reminded."""
    day.status = "cancelled"
    day.cancelled_at = turn.now
    day.updated_at = turn.now
    await turn.session.flush()
    told = 0
    notice = Reply(describe(texts, "helpday_cancelled_notice", day, places))
    for person_id in await HelpDayRepository(turn.session).claim_cancel_notices(day.id, turn.now):
        told += int(await turn.notify_person(person_id, notice))
    await turn.audit.record("helpday_cancelled", turn.now, by, str(day.id), told=told)
    return told
