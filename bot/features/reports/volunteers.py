"""Figures per volunteer: requests taken and closed in chat, field logs and citizens helped.

Volunteers appear by display name, masked like stored text (a phone number typed as a name
never reaches a report); by handle when they have no name or deleted their account; and two
people with the same display name are told apart by their handles. Rows are sorted busiest
first, then by name as Vietnamese read it (Đ next to D).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.features.reports.field_work import FieldKey, FieldWork
from bot.features.reports.model import VolunteerStats
from intents.normalize import fold
from storage.masking import mask
from storage.report_queries import Person, VolunteerRequests

__all__ = ["display_names", "involved", "volunteer_label", "volunteer_stats"]


def display_names(people: Iterable[Person]) -> dict[int, str]:
    """Person id -> the name a report shows (see the module docstring)."""
    people = list(people)
    shown: dict[int, str] = {}
    for person in people:
        name = person.display_name
        display = mask(name.strip()).text if name and name.strip() else ""
        deleted = person.deleted_at is not None
        shown[person.id] = person.handle if deleted or not display else display
    repeated = {name for name, n in Counter(shown.values()).items() if n > 1}
    handles = {person.id: person.handle for person in people}
    return {
        pid: f"{name} ({handles[pid]})" if name in repeated and name != handles[pid] else name
        for pid, name in shown.items()
    }


def involved(chat: VolunteerRequests, field: FieldWork) -> set[int]:
    """Every person id the report names: takers, closers and field loggers."""
    return set(chat.taken) | set(chat.closed) | field.person_ids()


def volunteer_label(kind: str, value: int | str | None, names: dict[int, str]) -> str | None:
    """The name shown for a volunteer key (None for field logs that name nobody)."""
    if kind == "person" and isinstance(value, int):
        return names.get(value, f"#{value}")
    if kind == "name" and isinstance(value, str):
        return value
    return None


def volunteer_stats(
    chat: VolunteerRequests, field: FieldWork, names: dict[int, str]
) -> tuple[VolunteerStats, ...]:
    """One row per volunteer (person, written name, or nobody), busiest first."""
    keys: set[FieldKey] = {("person", pid) for pid in involved(chat, field)}
    keys |= set(field.logs_by)
    volunteers = [
        VolunteerStats(
            name=volunteer_label(kind, value, names),
            sessions_claimed=chat.taken.get(value, 0) if isinstance(value, int) else 0,
            sessions_closed=chat.closed.get(value, 0) if isinstance(value, int) else 0,
            field_logs=field.logs_by[(kind, value)],
            field_citizens=field.citizens_by[(kind, value)],
        )
        for kind, value in keys
    ]
    volunteers.sort(
        key=lambda v: (
            -v.sessions_claimed,
            -v.field_logs,
            v.name is None,
            fold(v.name or ""),
            v.name or "",
        )
    )
    return tuple(volunteers)
