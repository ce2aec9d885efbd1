"""The Starlette application `trolyso serve` runs: webhooks of every configured channel.

Several uvicorn workers may serve it behind PostgreSQL: nothing here keeps state between
requests except what the database holds.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.channels.base import ChannelRuntime
from bot.services import Bot
from bot.web.maintenance import Maintenance

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def create_app(
    bot: Bot,
    channels: Sequence[ChannelRuntime],
    *,
    maintenance: Maintenance | None = None,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
) -> Starlette:
    """Routes of every channel plus `GET /healthz`; the lifespan starts and stops them."""

    async def health(request: Request) -> JSONResponse:
        try:
            async with bot.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            logger.exception("health check: database unreachable")
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "channels": [c.name for c in channels]})

    routes: list[BaseRoute] = [Route("/healthz", health, methods=["GET"])]
    for channel in channels:
        routes.extend(channel.routes())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started: list[ChannelRuntime] = []
        try:
            for channel in channels:
                await channel.start()
                started.append(channel)
            if maintenance is not None:
                maintenance.start()
            yield
        finally:
            if maintenance is not None:
                await maintenance.stop()
            for channel in reversed(started):
                await channel.stop()
            if on_shutdown is not None:
                await on_shutdown()

    return Starlette(routes=routes, lifespan=lifespan)
