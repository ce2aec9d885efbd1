"""Figures about help requests: by status, topic and outcome, ratings, claims, demo rows.

All of them come from one grouped query (`storage.report_queries.request_groups`); this module
applies the definitions in `model`: outcomes count closed requests only, a rating counts when
it is 1 to 5 stars, and every known code is listed (zeros included) before unknown ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.features.reports.model import Ratings
from storage.report_durations import SPANS
from storage.report_queries import RequestGroup
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, TOPICS

__all__ = ["RequestFigures", "by_code", "rating_figures", "request_figures"]


@dataclass(frozen=True)
class RequestFigures:
    """The request figures of a report, and how many spans each duration figure has."""

    total: int
    demo: int
    by_status: tuple[tuple[str, int], ...]
    by_topic: tuple[tuple[str, int], ...]
    by_outcome: tuple[tuple[str, int], ...]
    closed_without_outcome: int
    claimed: int  # citizens helped in chat: requests with at least one claim
    ratings: Ratings
    spans: dict[str, int]  # figure name (storage.report_durations.SPANS) -> measured spans


def by_code(counts: Counter[str], vocabulary: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """(code, count) for every known code in the vocabulary's order, then unknown codes."""
    known = list(vocabulary)
    extra = sorted(code for code in counts if code not in known)
    return tuple((code, counts.get(code, 0)) for code in [*known, *extra])


def rating_figures(stars: Counter[int]) -> Ratings:
    """How many ratings, their mean and the count of each star from 1 to 5."""
    count = sum(stars.values())
    return Ratings(
        count=count,
        mean=sum(s * n for s, n in stars.items()) / count if count else None,
        distribution=tuple((s, stars.get(s, 0)) for s in range(1, 6)),
    )


def request_figures(groups: Iterable[RequestGroup]) -> RequestFigures:
    """Fold the grouped requests into the report's request figures."""
    statuses: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    stars: Counter[int] = Counter()
    spans: Counter[str] = Counter()
    closed_without_outcome = demo = claimed = 0
    for group in groups:
        statuses[group.status] += group.requests
        topics[group.topic] += group.requests
        if group.status == "closed":
            if group.outcome is None:
                closed_without_outcome += group.requests
            else:
                outcomes[group.outcome] += group.requests
        if group.rating is not None and 1 <= group.rating <= 5:
            stars[group.rating] += group.requests
        if group.is_demo:
            demo += group.requests
        claimed += group.claimed
        spans.update(group.spans)
    return RequestFigures(
        total=sum(statuses.values()),
        demo=demo,
        by_status=by_code(statuses, REQUEST_STATUSES),
        by_topic=by_code(topics, TOPICS),
        by_outcome=by_code(outcomes, OUTCOMES),
        closed_without_outcome=closed_without_outcome,
        claimed=claimed,
        ratings=rating_figures(stars),
        spans={name: spans[name] for name in SPANS},
    )
