"""The Starlette application `trolyso serve` runs: webhooks of every configured channel, and
the background worker (bot/worker.py) beside them.

Several uvicorn workers may serve it behind PostgreSQL: nothing here keeps state between
requests except what the database holds.

Probes: `GET /healthz` is liveness only (the process answers; it never touches the database,
so a database outage does not get healthy workers restarted). `GET /readyz` checks the
database and each channel and names what is not ready. `GET /metrics` is for Prometheus
(see bot/web/metrics.py), behind a bearer token when TROLYSO_METRICS_TOKEN is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from prometheus_client import CollectorRegistry
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.channels.base import ChannelRuntime
from bot.published import ContentFollower
from bot.services import Bot
from bot.web.metrics import MetricsEndpoint, PrometheusRecorder
from bot.worker import Worker

__all__ = ["create_app"]

logger = logging.getLogger(__name__)
# A stop (SIGTERM, SIGINT) ends within this, backlog or not (the platforms redeliver nothing
# acknowledged: it is all stored). The worker's round in hand gets at most its own grace.
SHUTDOWN_SECONDS = 9.0


def create_app(
    bot: Bot,
    channels: Sequence[ChannelRuntime],
    *,
    worker: Worker | None = None,
    on_startup: Callable[[], Awaitable[None]] | None = None,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    metrics_token: str = "",
    probe_timeout: float = 3.0,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """Routes of every channel plus the probes and `/metrics`; the lifespan starts and stops
    the channels and the worker. The bot's metrics are recorded in this application's own
    registry."""
    registry = CollectorRegistry()
    bot.metrics.attach(PrometheusRecorder(registry, [c.name for c in channels]))
    metrics = MetricsEndpoint(
        registry, bot.sessions, bot.clock, channels, token=metrics_token, timeout=probe_timeout
    )
    database_down = False

    async def database_ok() -> bool:
        nonlocal database_down
        try:
            async with asyncio.timeout(probe_timeout), bot.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as error:
            if not database_down:  # once per outage; the type only (a message may hold a URL)
                logger.warning("readiness: database unreachable (%s)", type(error).__name__)
            database_down = True
            return False
        if database_down:
            logger.warning("readiness: database reachable again")
        database_down = False
        return True

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "channels": [c.name for c in channels]})

    async def ready(request: Request) -> JSONResponse:
        database = await database_ok()
        states = {c.name: "ready" if c.ready else "not ready" for c in channels}
        ok = database and all(c.ready for c in channels)
        body = {
            "status": "ready" if ok else "not ready",
            "database": "ok" if database else "unreachable",
            "channels": states,
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    routes: list[BaseRoute] = [
        Route("/healthz", health, methods=["GET"]),
        Route("/readyz", ready, methods=["GET"]),
        Route("/metrics", metrics.handle, methods=["GET"]),
    ]
    for channel in channels:
        routes.extend(channel.routes())
    routes.extend(extra_routes)  # the web console under /admin (bot/features/console)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started: list[ChannelRuntime] = []
        follower: ContentFollower | None = None
        try:
            if on_startup is not None:  # before the first request is taken
                await on_startup()
            for channel in channels:
                await channel.start()  # never waits for a platform: see each runtime's start
                started.append(channel)
            if worker is not None:
                worker.start()
            else:
                follower = ContentFollower(bot.live)  # answers citizens: follows publications
                follower.start()
            yield
        finally:
            if follower is not None:
                await follower.stop()
            # Shut down within SHUTDOWN_SECONDS, whatever the backlog: what is not done by
            # then stays stored (inbox rows, leased outbox rows) and the next worker does it.
            deadline = asyncio.get_running_loop().time() + SHUTDOWN_SECONDS
            if worker is not None:
                await worker.stop()
            for channel in reversed(started):
                left = deadline - asyncio.get_running_loop().time()
                try:
                    await asyncio.wait_for(channel.stop(), timeout=max(left, 0.1))
                except TimeoutError:
                    logger.warning(
                        "shutdown: %s stopped with work in hand (stored; the next worker "
                        "takes it over)",
                        channel.name,
                    )
            if on_shutdown is not None:
                await on_shutdown()

    return Starlette(routes=routes, lifespan=lifespan)
