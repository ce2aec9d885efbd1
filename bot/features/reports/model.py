"""The volunteer-activity report as plain values, and what each of its figures means.

Definitions (they are what the province reads, so they are fixed here once):

- The period is a range of local dates in Vietnam time (UTC+7), both ends included. A help
  request belongs to it by `created_at` (converted to the local date), a field log by `day`.
- Demo rows (`help_requests.is_demo`, `field_logs.source == "demo"`) are counted like the
  others; the report says how many of them are inside (`demo_requests`, `demo_field_logs`).
- Requests by status and by topic: every request of the period. Outcomes: closed requests, by
  the outcome recorded on the request (the `outcome` events are its history);
  `closed_without_outcome` counts closed requests where nobody recorded one.
- Citizens helped: in chat, the requests with at least one `claimed` event; in the field, the
  sum of `field_logs.citizens_helped`.
- Services: each service of a closed request (chat) or of a field log counts once per row.
- Waiting time: from the request's first `created` event to its first `claimed` event.
  Handling time: from the first `claimed` event to the first `ended` or `idle_closed` event.
  Both come from event timestamps only; a request missing either end is left out of that
  figure, and so is a negative span (clocks that went backwards).
- Percentiles use linear interpolation between closest ranks (numpy's default, Excel's
  PERCENTILE.INC): for sorted x_0..x_{n-1}, h = (n - 1) * p and the value is
  x_floor(h) + (h - floor(h)) * (x_floor(h)+1 - x_floor(h)). The median is p = 0.5, i.e. the
  ordinary median (the mean of the two middle values for an even count).
- Ratings: requests of the period whose rating is 1 to 5.
- Per volunteer: requests taken (a `claimed` event by them, or they are the volunteer of an
  active or closed request, e.g. after a transfer), requests closed (closed with them as the
  volunteer), field logs and citizens helped in the field. Volunteers appear by display name
  (or handle when they have none or deleted their account), masked like any stored text;
  contact data (phones, channel ids, citizens) never enters a `Report`.
- `generated_at` is the caller's clock reading (the Bot's clock for /baocao, the command's
  clock for `trolyso report`), never the wall clock read here.

The queries live in `storage.report_queries` and `storage.report_durations`; `build` folds
their rows into a `Report`, one figure group per module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.report_durations import Durations
from storage.report_queries import ReportFilter

__all__ = ["CitizensHelped", "Ratings", "Report", "ServiceCount", "VolunteerStats"]


@dataclass(frozen=True)
class CitizensHelped:
    """Citizens helped in chat sessions (claimed requests) and in the field (field logs)."""

    chat: int
    field: int

    @property
    def total(self) -> int:
        return self.chat + self.field


@dataclass(frozen=True)
class Ratings:
    """Citizens' ratings: how many, their mean, and how many of each star from 1 to 5."""

    count: int
    mean: float | None
    distribution: tuple[tuple[int, int], ...]  # (stars, count) for stars 1..5, zeros included


@dataclass(frozen=True)
class ServiceCount:
    """How often a service was helped with: in closed chat sessions and in field logs."""

    code: str
    chat_sessions: int
    field_logs: int


@dataclass(frozen=True)
class VolunteerStats:
    """One volunteer's work; `name` is None for field logs that name nobody."""

    name: str | None
    sessions_claimed: int
    sessions_closed: int
    field_logs: int
    field_citizens: int


@dataclass(frozen=True)
class Report:
    """Every breakdown of one report, as plain values; rows keep the vocabularies' order.

    Breakdown rows are (code, count); codes are the stored ones (labels come from
    `storage.vocabulary` when rendering). Every known code is listed, zeros included; an
    unknown code found in the data follows, so nothing is silently dropped.
    `province_name` and `commune_name` are for display; the caller fills them in (the database
    only holds codes).
    """

    filter: ReportFilter
    generated_at: datetime
    team_name: str | None
    requests_total: int
    demo_requests: int
    demo_field_logs: int
    by_status: tuple[tuple[str, int], ...]
    by_topic: tuple[tuple[str, int], ...]
    by_outcome: tuple[tuple[str, int], ...]
    closed_without_outcome: int
    citizens: CitizensHelped
    field_logs_total: int
    services: tuple[ServiceCount, ...]
    wait: Durations
    handling: Durations
    ratings: Ratings
    volunteers: tuple[VolunteerStats, ...]
    province_name: str | None = field(default=None)
    commune_name: str | None = field(default=None)
    # Help days of the period (issue 15): held (not cancelled) and people reminded.
    help_days_held: int = field(default=0)
    help_days_reminded: int = field(default=0)

    @property
    def demo_rows(self) -> int:
        """Demo help requests and demo field logs inside the figures."""
        return self.demo_requests + self.demo_field_logs
