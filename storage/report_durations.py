"""Waiting and handling times of a report: exact percentiles, ranked in the database.

The figures are defined in `bot.features.reports.model`: waiting runs from a request's first
`created` event to its first `claimed` event, handling from the first `claimed` to the first
end event (the `first_*_at` columns of `help_requests` hold those times), a negative span is
left out, and percentiles interpolate linearly between closest ranks (PERCENTILE.INC).

A year holds about a million spans. Instead of fetching them all, the database sorts them and
returns only the few at the ranks the interpolation needs (two per percentile), as whole
microseconds; the interpolation then runs in Python on exactly the numbers the old row-by-row
computation used, so the figures are the same to the last bit. PostgreSQL picks the ranks with
`percentile_disc`, SQLite with `ROW_NUMBER()` (it has no ordered-set aggregates).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import HelpRequestRow

__all__ = ["QUANTILES", "Durations", "measured", "percentile", "span_durations"]

QUANTILES = (0.5, 0.9)  # the median and the 90th percentile
_ATTEMPTS = 3  # on PostgreSQL, rows may arrive between counting and ranking (see below)

Timestamp = InstrumentedAttribute[datetime | None]
hr = HelpRequestRow
SPANS = {
    "wait": (hr.first_created_at, hr.first_claimed_at),
    "handling": (hr.first_claimed_at, hr.first_ended_at),
}


@dataclass(frozen=True)
class Durations:
    """How long something took, in minutes, over `count` requests (None when count is 0)."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None

    @classmethod
    def of(cls, minutes: Iterable[float]) -> Durations:
        values = sorted(minutes)
        if not values:
            return cls(0, None, None)
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9))


def _interpolate(value_at: Callable[[int], float], count: int, p: float) -> float:
    h = (count - 1) * p
    low = math.floor(h)
    high = min(low + 1, count - 1)
    return value_at(low) + (h - low) * (value_at(high) - value_at(low))


def _ranks(count: int) -> list[int]:
    """The 0-based ranks `_interpolate` reads for every quantile, smallest first."""
    needed: set[int] = set()
    if count == 0:
        return []
    for p in QUANTILES:
        low = math.floor((count - 1) * p)
        needed |= {low, min(low + 1, count - 1)}
    return sorted(needed)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-quantile (0 <= p <= 1) of non-empty sorted values, by linear interpolation."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be within [0, 1], not {p}")
    return _interpolate(sorted_values.__getitem__, len(sorted_values), p)


def measured(since: Timestamp, until: Timestamp) -> ColumnElement[bool]:
    """Both ends known and not backwards: the span counts in its figure."""
    return and_(since.is_not(None), until.is_not(None), until >= since)


def _seconds_postgres(since: Timestamp, until: Timestamp) -> ColumnElement[float]:
    # PostgreSQL 14+ computes this exactly (numeric) and rounds once to float8: the value is
    # timedelta.total_seconds() of the same span, and its order is the spans' exact order.
    return func.date_part("epoch", until - since, type_=Float)


def _micros_sqlite(since: Timestamp, until: Timestamp) -> ColumnElement[int]:
    # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite. SQLite's date functions keep
    # milliseconds only, rounded (".9996" becomes the next second), so the whole seconds are
    # read from the first 19 characters and the microseconds from the digits after them (a
    # value written without a fraction reads as .000000).
    def seconds(value: Timestamp) -> ColumnElement[int]:
        whole = func.substr(type_coerce(value, String), 1, 19)
        return cast(func.strftime("%s", whole), Integer)

    def micros(value: Timestamp) -> ColumnElement[int]:
        padded = type_coerce(value, String) + literal("000000", String)
        return cast(func.substr(padded, 21, 6), Integer)

    return (seconds(until) - seconds(since)) * 1_000_000 + (micros(until) - micros(since))


async def _ranked_postgres(
    session: AsyncSession, scope: list[ColumnElement[bool]], counts: dict[str, int]
) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    """Per figure: how many spans, and the microseconds at the ranks `counts` calls for."""
    columns: list[ColumnElement[Any]] = []
    for name, (since, until) in SPANS.items():
        key = case((measured(since, until), _seconds_postgres(since, until)))  # NULL: ignored
        # percentile_disc(f) returns the ceil(f * n)-th value: f = (rank + 0.5) / n hits
        # `rank` (0-based) whatever the rounding of f.
        fractions = [(rank + 0.5) / counts[name] for rank in _ranks(counts[name])] or [0.0]
        columns.append(func.count(key))
        columns.append(func.percentile_disc(literal(fractions, ARRAY(Float))).within_group(key))
    row = (await session.execute(select(*columns).where(*scope))).one()
    seen: dict[str, int] = {}
    values: dict[str, dict[int, int]] = {}
    for at, name in enumerate(SPANS):
        seen[name] = int(row[2 * at])
        picked = row[2 * at + 1] or []
        values[name] = {
            rank: round(seconds * 1_000_000)
            for rank, seconds in zip(_ranks(counts[name]), picked, strict=False)
        }
    return seen, values


async def _ranked_sqlite(
    session: AsyncSession, scope: list[ColumnElement[bool]], counts: dict[str, int]
) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    seen: dict[str, int] = {}
    values: dict[str, dict[int, int]] = {}
    for name, (since, until) in SPANS.items():
        # The key in a subquery of its own, so SQLite computes it once per row, not twice.
        spans = (
            select(_micros_sqlite(since, until).label("micros"))
            .where(*scope, measured(since, until))
            .subquery()
        )
        ranked = select(
            spans.c.micros,
            func.row_number().over(order_by=spans.c.micros).label("place"),
            func.count().over().label("n"),
        ).subquery()
        # Place 1 as well: its row tells how many spans there are even when `counts` is stale.
        places = sorted({1} | {rank + 1 for rank in _ranks(counts[name])})
        rows = (
            await session.execute(
                select(ranked.c.place, ranked.c.micros, ranked.c.n).where(
                    ranked.c.place.in_(places)
                )
            )
        ).all()
        seen[name] = int(rows[0].n) if rows else 0
        values[name] = {int(place) - 1: int(micros) for place, micros, _ in rows}
    return seen, values


async def span_durations(
    session: AsyncSession, scope: list[ColumnElement[bool]], counts: dict[str, int]
) -> dict[str, Durations]:
    """The waiting and handling figures of the requests in `scope`.

    `counts` is how many spans each figure has (counted by the caller's first query, which
    scans the same rows anyway), so the ranks can be asked for in one pass. On PostgreSQL the
    two statements see different snapshots; if requests arrived in between, the ranks are
    asked for again with the new counts (on SQLite the report's transaction holds still).
    """
    counts = dict(counts)
    postgres = session.get_bind().dialect.name == "postgresql"
    ranked = _ranked_postgres if postgres else _ranked_sqlite
    values: dict[str, dict[int, int]] = {name: {} for name in SPANS}
    for _ in range(_ATTEMPTS):
        if not any(counts.values()):
            break
        seen, values = await ranked(session, scope, counts)
        if seen == counts:
            break
        counts = seen
    else:
        raise RuntimeError("the requests kept changing while the report was being computed")
    return {name: _figure(counts[name], values[name]) for name in SPANS}


def _figure(count: int, micros_at: dict[int, int]) -> Durations:
    if count == 0:
        return Durations(0, None, None)

    def minutes(rank: int) -> float:
        # As timedelta.total_seconds() / 60: microseconds / 10**6 is correctly rounded.
        return micros_at[rank] / 1_000_000 / 60.0

    median, p90 = (_interpolate(minutes, count, p) for p in QUANTILES)
    return Durations(count, median, p90)
