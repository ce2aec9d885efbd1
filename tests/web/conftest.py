"""The web application's probes, metrics and start-up, on the real core and database.

Only the platforms are fake (the Telegram and Zalo Bot APIs answer in-process); requests go
through the real ASGI application, with its lifespan when start-up is what is tested.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import FakeClock, bot, clock, config, people  # noqa: F401

__all__ = ["FakeClock", "Scrape", "eventually", "scrape", "serving", "value"]

Scrape = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The application started as uvicorn starts it (lifespan), and a client on it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            yield http


async def scrape(http: httpx.AsyncClient, **headers: str) -> Scrape:
    """GET /metrics, parsed by Prometheus' own parser: (sample name, labels) -> value."""
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(figures: Scrape, name: str, **labels: str) -> float:
    """One sample's value; a missing series fails the test."""
    key = (name, tuple(sorted(labels.items())))
    assert key in figures, f"{name}{labels} not exposed"
    return figures[key]


async def eventually(check: Callable[[], object], seconds: float = 10.0) -> None:
    """Wait until `check()` is true (bounded: a hang fails the test)."""
    async with asyncio.timeout(seconds):
        while True:
            if check():
                return
            await asyncio.sleep(0.01)
