"""What a help day is made of, and how it reads: pure functions, no I/O."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from content.support_texts import SupportTexts
from intents.places import Places
from storage.local_models import HelpDayRow
from storage.vocabulary import TOPICS

__all__ = [
    "LOCAL_TIME",
    "MAX_AHEAD",
    "MAX_NOTE",
    "MAX_PLACE",
    "REMIND_HOUR",
    "describe",
    "fields_of",
    "local_today",
    "parse_times",
    "remind_at",
    "show_day",
    "show_time",
]

LOCAL_TIME = timezone(timedelta(hours=7))  # Vietnam, no daylight saving
REMIND_HOUR = 8  # reminders go out at 08:00 the day before
MAX_AHEAD = timedelta(days=366)  # a day further ahead is a typo
MAX_PLACE = 200
MAX_NOTE = 500
_TIME = r"(\d{1,2})\s*(?:[:hg.]\s*(\d{2})?)?"
_TIMES = re.compile(rf"^{_TIME}\s*(?:[-–đến]+\s*{_TIME})?\s*$")
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def _clock(hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    return f"{h:02d}:{m:02d}" if 0 <= h <= 23 and 0 <= m <= 59 else None


def parse_times(text: str) -> tuple[str, str] | None:
    """ "7:30", "7h30-11h", "7:30 - 11:00" -> ("07:30", "11:00" or ""); None if not a time."""
    found = _TIMES.match(text.strip().lower())
    if not found:
        return None
    start = _clock(found.group(1), found.group(2))
    if start is None:
        return None
    if found.group(3) is None:
        return start, ""
    end = _clock(found.group(3), found.group(4))
    if end is None or end <= start:
        return None
    return start, end


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_TIME).date()


def remind_at(day: date) -> datetime:
    """The day before, at REMIND_HOUR local time (in UTC for the database)."""
    return datetime.combine(day - timedelta(days=1), time(REMIND_HOUR), LOCAL_TIME)


def show_day(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}"


def show_time(row: HelpDayRow) -> str:
    return f"{row.start_time}-{row.end_time}" if row.end_time else f"từ {row.start_time}"


def fields_of(row: HelpDayRow, places: Places) -> dict[str, str]:
    """The {names} every help-day text may use."""
    commune = places.commune(row.commune_code)
    topics = ", ".join(TOPICS.get(t, t) for t in row.topics) or TOPICS["other"]
    return {
        "day": show_day(row.day),
        "time": show_time(row),
        "place": row.place,
        "commune": commune.label if commune else row.commune_code,
        "topics": topics,
        "note": f" {row.note}" if row.note else "",
    }


def describe(texts: SupportTexts, key: str, row: HelpDayRow, places: Places, **extra: str) -> str:
    values = fields_of(row, places)
    values.update(extra)
    return texts(key, **values)
