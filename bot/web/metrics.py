"""`GET /metrics` in Prometheus' text format: what the bot did and what is waiting.

Counters and the latency histogram are recorded in this process, in a registry of this
application's own (several applications in one test process do not clash). Backlogs are
read from the database at each scrape, so every worker reports the same figures. With
several uvicorn workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder before they start:
each worker then writes its counters there and a scrape of any worker adds them all up.

No label carries a chat id or any text: channel names, action names and the failure kinds
of bot/delivery.py only.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.base import ChannelRuntime
from bot.delivery import UNDELIVERABLE_KINDS
from bot.logs import log_failure
from storage.backlog import Backlog, read_backlog

__all__ = [
    "ACTIONS",
    "LATENCY_BUCKETS",
    "MetricsEndpoint",
    "PrometheusRecorder",
    "StateCollector",
    "exposition",
]

logger = logging.getLogger(__name__)
ACTIONS = ("answer", "clarify", "fallback")
# From a cached FAQ answer (a few ms) to a slow database or platform (seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# The classic text format every Prometheus reads (the library's default moved to 1.0.0,
# which differs only for names outside [a-zA-Z0-9_:], and these have none).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class PrometheusRecorder:
    """The core's events as Prometheus counters and a histogram (a `bot.metrics.Recorder`)."""

    def __init__(self, registry: CollectorRegistry, channels: Sequence[str] = ()) -> None:
        self.received_total = Counter(
            "trolyso_updates_received",
            "Webhook deliveries stored (redeliveries not counted).",
            ["channel"],
            registry=registry,
        )
        self.handled_total = Counter(
            "trolyso_updates_handled",
            "Messages the core answered (replies are in the outbox).",
            ["channel"],
            registry=registry,
        )
        self.failed_total = Counter(
            "trolyso_updates_failed",
            "Messages whose handling raised (the delivery is replayed later).",
            ["channel"],
            registry=registry,
        )
        self.latency = Histogram(
            "trolyso_update_handling_seconds",
            "Time the core took to handle one message, database included.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.send_failed_total = Counter(
            "trolyso_sends_failed",
            "Sends the platform refused or that failed, by kind (blocked, window, quota, other).",
            ["channel", "kind"],
            registry=registry,
        )
        self.answers_total = Counter(
            "trolyso_answers",
            "The FAQ's decision on typed messages: answer, clarify or fallback.",
            ["channel", "action"],
            registry=registry,
        )
        self.given_up_total = Counter(
            "trolyso_deliveries_given_up",
            "Stored deliveries that failed every replay and were given up: never answered "
            "(the sender was asked to write again, the operators were told).",
            ["channel"],
            registry=registry,
        )
        for channel in channels:  # every series exists from the start, at zero
            for counter in (
                self.received_total,
                self.handled_total,
                self.failed_total,
                self.given_up_total,
            ):
                counter.labels(channel)
            self.latency.labels(channel)
            for kind in UNDELIVERABLE_KINDS:
                self.send_failed_total.labels(channel, kind)
            for action in ACTIONS:
                self.answers_total.labels(channel, action)

    def received(self, channel: str) -> None:
        self.received_total.labels(channel).inc()

    def handled(self, channel: str, seconds: float, *, failed: bool) -> None:
        (self.failed_total if failed else self.handled_total).labels(channel).inc()
        self.latency.labels(channel).observe(seconds)

    def send_failed(self, channel: str, kind: str) -> None:
        if kind not in UNDELIVERABLE_KINDS:
            kind = "other"
        self.send_failed_total.labels(channel, kind).inc()

    def answered(self, channel: str, action: str) -> None:
        if action in ACTIONS:
            self.answers_total.labels(channel, action).inc()

    def given_up(self, channel: str, count: int) -> None:
        self.given_up_total.labels(channel).inc(count)


class StateCollector:
    """Gauges of the last reading: backlogs, channel readiness, whether the database answered."""

    def __init__(self, channels: Sequence[ChannelRuntime]) -> None:
        self.channels = list(channels)
        self.backlog: Backlog | None = None
        self.now: datetime | None = None

    def collect(self) -> Iterator[Metric]:
        ready = GaugeMetricFamily(
            "trolyso_channel_ready",
            "1 when the channel is connected and answering.",
            labels=["channel"],
        )
        for channel in self.channels:
            ready.add_metric([channel.name], 1.0 if channel.ready else 0.0)
        yield ready
        up = GaugeMetricFamily(
            "trolyso_database_up", "1 when the database answered this scrape's query."
        )
        up.add_metric([], 0.0 if self.backlog is None else 1.0)
        yield up
        if self.backlog is None or self.now is None:
            return
        yield from self._backlog(self.backlog, self.now)

    def _backlog(self, backlog: Backlog, now: datetime) -> Iterator[Metric]:
        names = sorted({c.name for c in self.channels} | set(backlog.outbox) | set(backlog.inbox))
        pending = GaugeMetricFamily(
            "trolyso_outbox_pending", "Outgoing messages not sent yet.", labels=["channel"]
        )
        age = GaugeMetricFamily(
            "trolyso_outbox_oldest_pending_age_seconds",
            "How long the oldest unsent message has waited (0 when none waits).",
            labels=["channel"],
        )
        unhandled = GaugeMetricFamily(
            "trolyso_inbox_unhandled",
            "Webhook deliveries stored but not handled yet (replayed when stalled).",
            labels=["channel"],
        )
        for name in names:
            waiting = backlog.outbox.get(name)
            pending.add_metric([name], float(waiting.count) if waiting else 0.0)
            age.add_metric([name], waiting.age(now) if waiting else 0.0)
            stored = backlog.inbox.get(name)
            unhandled.add_metric([name], float(stored.count) if stored else 0.0)
        yield from (pending, age, unhandled)
        requests = backlog.help_requests
        yield GaugeMetricFamily(
            "trolyso_help_requests_waiting",
            "Help requests no volunteer has claimed yet.",
            value=float(requests.count),
        )
        yield GaugeMetricFamily(
            "trolyso_help_requests_oldest_waiting_age_seconds",
            "How long the oldest unclaimed help request has waited (0 when none waits).",
            value=requests.age(now),
        )


class MetricsEndpoint:
    """The `/metrics` route: optional bearer token, one database read, the text format."""

    def __init__(
        self,
        registry: CollectorRegistry,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        channels: Sequence[ChannelRuntime],
        *,
        token: str = "",
        timeout: float = 3.0,
    ) -> None:
        self.registry = registry
        self.sessions = sessions
        self.clock = clock
        self.token = token
        self.timeout = timeout
        self.state = StateCollector(channels)
        registry.register(self.state)
        self._warned = False

    async def handle(self, request: Request) -> Response:
        if self.token and not self._authorized(request.headers.get("authorization", "")):
            return PlainTextResponse(
                "unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        await self.refresh()
        return Response(self.render(), media_type=CONTENT_TYPE)

    def _authorized(self, header: str) -> bool:
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        )

    async def refresh(self) -> None:
        """Read the backlogs; when the database does not answer, the scrape says so."""
        try:
            async with asyncio.timeout(self.timeout), self.sessions() as session:
                backlog = await read_backlog(session)
        except Exception as error:
            if not self._warned:  # once per outage, not once per scrape
                log_failure(logger, "metrics: database not readable", error=error)
                self._warned = True
            self.state.backlog = None
            return
        self._warned = False
        self.state.backlog, self.state.now = backlog, self.clock()

    def render(self) -> bytes:
        return exposition(self.registry, self.state)


def exposition(registry: CollectorRegistry, state: StateCollector) -> bytes:
    """The registry's text (with `state` in it), or every worker's in multiprocess mode."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return generate_latest(registry)
    from prometheus_client import multiprocess

    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    merged.register(state)
    return generate_latest(merged)
