"""Storing field logs imported from a file: once each, under a lock, with an audit entry.

The import (bot/features/fieldlogs) checks a leader's file into `FieldLogDraft`s; this module
inserts them. A row counts as already imported when a stored row of the same source has the
same `fingerprint` (day, commune, place, services as a set, citizens, volunteer name, notes),
so the same file imported twice counts once. On PostgreSQL a transaction-level advisory lock
serializes imports, so two imports of one file at once cannot both find "nothing imported
yet". The caller owns the transaction: nothing here commits.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, TypeVar, cast

from sqlalchemy import Table, insert, select
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditRow, FieldLogRow, utcnow

__all__ = [
    "AUDIT_ACTION",
    "FieldLogDraft",
    "StoreResult",
    "fingerprint",
    "store_field_logs",
]

INSERT_CHUNK: Final = 2000
QUERY_CHUNK: Final = 500  # communes per duplicate-lookup query (bind-parameter limits)
AUDIT_ACTION: Final = "field_log_import"
_LOCK_KEY: Final = 0x6669_656C_646C_6F67  # "fieldlog": serializes imports on PostgreSQL

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FieldLogDraft:
    """One good row, ready for `FieldLogRow` (team, source and creation time come at storage).

    `line` is the spreadsheet's row number (the header is line 1), for duplicate reports.
    Free text (place, volunteer name, notes) is already masked and whitespace-normalized.
    """

    line: int
    day: date
    commune_code: str
    province_code: str
    services: tuple[str, ...]
    citizens_helped: int
    place: str = ""
    duration_minutes: int | None = None
    volunteer_name: str | None = None
    volunteer_id: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class StoreResult:
    """What `store_field_logs` did: rows inserted, rows skipped as already imported."""

    inserted: int
    duplicates: int
    duplicate_lines: tuple[int, ...] = ()


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fingerprint(
    day: date,
    commune_code: str,
    place: str,
    services: Iterable[str],
    citizens_helped: int,
    volunteer_name: str | None,
    notes: str,
) -> str:
    payload = json.dumps(
        [
            day.isoformat(),
            commune_code,
            place,
            sorted(set(services)),
            citizens_helped,
            volunteer_name or "",
            notes,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def fingerprint(draft: FieldLogDraft) -> str:
    """A stable identity of a field log: the same paper entry gives the same fingerprint.

    Day, commune, place, services (as a set), citizens helped, volunteer name and notes; not
    the duration, the team or the row number.
    """
    return _fingerprint(
        draft.day,
        draft.commune_code,
        draft.place,
        draft.services,
        draft.citizens_helped,
        draft.volunteer_name,
        draft.notes,
    )


async def _existing_fingerprints(
    session: AsyncSession, drafts: Sequence[FieldLogDraft], source: str
) -> Counter[str]:
    """How many rows of the same source already exist per fingerprint, on the drafts' days."""
    pairs = {(draft.day, draft.commune_code) for draft in drafts}
    first, last = min(day for day, _ in pairs), max(day for day, _ in pairs)
    communes = sorted({commune for _, commune in pairs})
    counts: Counter[str] = Counter()
    for chunk in _chunks(communes, QUERY_CHUNK):
        query = select(
            FieldLogRow.day,
            FieldLogRow.commune_code,
            FieldLogRow.place,
            FieldLogRow.services,
            FieldLogRow.citizens_helped,
            FieldLogRow.volunteer_name,
            FieldLogRow.notes,
        ).where(
            FieldLogRow.source == source,
            FieldLogRow.day >= first,
            FieldLogRow.day <= last,
            FieldLogRow.commune_code.in_(chunk),
        )
        for day, commune, place, services, citizens, name, notes in await session.execute(query):
            if (day, commune) in pairs:
                counts[_fingerprint(day, commune, place, services, citizens, name, notes)] += 1
    return counts


async def store_field_logs(
    session: AsyncSession,
    drafts: Sequence[FieldLogDraft],
    *,
    team_id: int | None,
    source: str = "import",
    created_by: int | None,
    now: datetime | None = None,
) -> StoreResult:
    """Insert the drafts not imported before, in chunks; record who imported; never commits.

    A row counts as already imported when a row of the same `source` has the same fingerprint
    (see `fingerprint`); identical rows are counted, so a file with two identical rows imported
    twice still has two rows. `created_by` (a person id) goes to the audit log.
    """
    if not drafts:
        return StoreResult(0, 0)
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # Two imports of the same file at once must not both find "nothing imported yet".
        await session.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    existing = await _existing_fingerprints(session, drafts, source)
    values: list[dict[str, object]] = []
    duplicate_lines: list[int] = []
    for draft in drafts:
        key = fingerprint(draft)
        if existing[key] > 0:
            existing[key] -= 1
            duplicate_lines.append(draft.line)
            continue
        values.append(
            {
                "day": draft.day,
                "commune_code": draft.commune_code,
                "province_code": draft.province_code,
                "team_id": team_id,
                "volunteer_id": draft.volunteer_id,
                "volunteer_name": draft.volunteer_name,
                "place": draft.place,
                "services": list(draft.services),
                "citizens_helped": draft.citizens_helped,
                "duration_minutes": draft.duration_minutes,
                "notes": draft.notes,
                "source": source,
                "created_at": now,
            }
        )
    table = cast(Table, FieldLogRow.__table__)  # Core executemany: far faster than ORM bulk
    for chunk in _chunks(values, INSERT_CHUNK):
        await session.execute(insert(table), list(chunk))
    session.add(
        AuditRow(
            action=AUDIT_ACTION,
            at=now,
            actor_id=created_by,
            target=f"team:{team_id}" if team_id is not None else None,
            detail={
                "inserted": len(values),
                "duplicates": len(duplicate_lines),
                "source": source,
            },
        )
    )
    await session.flush()
    return StoreResult(len(values), len(duplicate_lines), tuple(duplicate_lines))
