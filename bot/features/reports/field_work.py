"""Figures about help given in person: field logs, citizens helped, demo logs, per volunteer.

Field logs name their volunteer by person id, by a written name, or not at all. Written names
are masked after the database grouped them, so two spellings that mask alike add up (and a
phone number typed as a name never reaches a report).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from storage.masking import mask
from storage.report_queries import FieldGroup

__all__ = ["FieldKey", "FieldWork", "field_key", "field_work"]

# ("person", id), ("name", masked name) or ("none", None): who a field log is counted for.
FieldKey = tuple[str, int | str | None]


@dataclass(frozen=True)
class FieldWork:
    """Field logs of a report: totals, and logs and citizens per volunteer key."""

    logs: int
    citizens: int
    demo_logs: int
    logs_by: Counter[FieldKey]
    citizens_by: Counter[FieldKey]

    def person_ids(self) -> set[int]:
        """Volunteers with an account among those who logged field work."""
        return {int(v) for kind, v in self.logs_by if kind == "person" and v is not None}


def field_key(volunteer_id: int | None, volunteer_name: str | None) -> FieldKey:
    """Who a field log counts for: its person, else its masked written name, else nobody."""
    if volunteer_id is not None:
        return ("person", volunteer_id)
    if volunteer_name and volunteer_name.strip():
        return ("name", mask(volunteer_name.strip()).text)
    return ("none", None)


def field_work(groups: Iterable[FieldGroup]) -> FieldWork:
    """Fold the grouped field logs into totals and per-volunteer counts."""
    logs = citizens = demo = 0
    logs_by: Counter[FieldKey] = Counter()
    citizens_by: Counter[FieldKey] = Counter()
    for group in groups:
        logs += group.logs
        citizens += group.citizens
        demo += group.demo
        key = field_key(group.volunteer_id, group.volunteer_name)
        logs_by[key] += group.logs
        citizens_by[key] += group.citizens
    return FieldWork(logs, citizens, demo, logs_by, citizens_by)
