"""Start without Telegram (hardening item 13), and the probes that say what is ready.

Telegram unreachable at start-up must not take the Zalo channels or the probes down: the
application starts, Telegram keeps trying in the background, its webhook updates are stored
and answered once it connects, and /readyz names what is not ready meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram.runtime import SECRET_HEADER, TelegramRuntime, backoff
from bot.channels.zalo_bot.runtime import SECRET_HEADER as ZALO_SECRET_HEADER
from bot.channels.zalo_bot.runtime import WEBHOOK_PATH as ZALO_WEBHOOK
from bot.channels.zalo_bot.runtime import ZaloBotRuntime
from bot.services import Bot
from bot.web.app import create_app
from bot.worker import Worker
from storage import create_engine, session_factory
from storage.models import InboundEventRow
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import for_chat, sample
from tests.channels.zalo_bot import CHAT as ZALO_CHAT
from tests.channels.zalo_bot import SECRET as ZALO_SECRET
from tests.channels.zalo_bot import FakeZaloBotApi, make_runtime, text_event
from tests.web.conftest import FakeClock, eventually, scrape, serving, value

TOKEN = "123456:TEST-TOKEN"
SECRET = "s3cret-token_for-tests"
CHAT = 5550001
QUESTION = "cach kich hoat tai khoan dinh danh dien tu muc 2"
FAST = (0.01, 0.05)  # retry backoff for tests: first wait, longest wait


def telegram(bot: Bot, api: FakeBotAPI, **options) -> TelegramRuntime:
    options.setdefault("retry", FAST)
    return TelegramRuntime(bot, TOKEN, SECRET, request=api, rate_limit=False, **options)


def telegram_update(text: str = QUESTION) -> dict[str, Any]:
    update = for_chat(sample("text_message"), CHAT)
    update["message"]["text"] = text
    return update


async def post_telegram(http: httpx.AsyncClient, update: dict[str, Any]) -> httpx.Response:
    return await http.post(
        "/telegram/webhook",
        content=json.dumps(update),
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )


async def unhandled(bot: Bot) -> list[InboundEventRow]:
    async with bot.sessions() as session:
        query = select(InboundEventRow).where(InboundEventRow.handled_at.is_(None))
        return list((await session.execute(query)).scalars())


@pytest.fixture
def zalo(bot: Bot) -> tuple[FakeZaloBotApi, ZaloBotRuntime]:
    api = FakeZaloBotApi()
    return api, make_runtime(bot, api)


async def test_the_app_starts_without_telegram_and_catches_up(bot: Bot, zalo) -> None:
    zalo_api, zalo_runtime = zalo
    api = FakeBotAPI()
    api.unreachable("getMe", times=1_000_000)  # an outage, until it is over
    runtime = telegram(bot, api)
    app = create_app(bot, [runtime, zalo_runtime])
    async with serving(app) as http:
        # Up: liveness, the Zalo Bot webhook in the same application, an honest readiness.
        assert (await http.get("/healthz")).status_code == 200
        readiness = await http.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json() == {
            "status": "not ready",
            "database": "ok",
            "channels": {"telegram": "not ready", "zalobot": "ready"},
        }
        posted = await http.post(
            ZALO_WEBHOOK,
            json=text_event("cach cai vneid"),
            headers={ZALO_SECRET_HEADER: ZALO_SECRET},
        )
        assert posted.status_code == 200
        await zalo_runtime.drain()
        assert "VNeID" in zalo_api.sent(ZALO_CHAT)[0]
        # A Telegram update meanwhile: stored and acknowledged, not answered yet.
        assert (await post_telegram(http, telegram_update())).status_code == 200
        await eventually(lambda: len(api.sent(method="getMe")) >= 3)  # it keeps trying
        assert api.sent(CHAT) == []
        assert [row.channel for row in await unhandled(bot)] == ["telegram"]
        figures = await scrape(http)
        assert value(figures, "trolyso_channel_ready", channel="telegram") == 0
        assert value(figures, "trolyso_inbox_unhandled", channel="telegram") == 1
        # Telegram is back: the channel connects and the waiting update is answered.
        api.reachable("getMe")
        await eventually(lambda: runtime.ready)
        await eventually(lambda: api.sent(CHAT))
        assert "VNeID" in api.sent(CHAT)[0].params["text"]
        await eventually(lambda: not runtime.busy)
        assert await unhandled(bot) == []
        readiness = await http.get("/readyz")
        assert readiness.status_code == 200
        assert readiness.json()["channels"] == {"telegram": "ready", "zalobot": "ready"}
        figures = await scrape(http)
        assert value(figures, "trolyso_channel_ready", channel="telegram") == 1
        assert value(figures, "trolyso_updates_handled_total", channel="telegram") == 1
    assert len(api.sent(CHAT)) == 1


async def test_getme_failing_n_times_then_succeeding(bot: Bot) -> None:
    api = FakeBotAPI()
    api.unreachable("getMe", times=3)
    runtime = telegram(bot, api)
    await runtime.start()
    try:
        assert not runtime.ready
        await eventually(lambda: runtime.ready)
        assert len(api.sent(method="getMe")) == 4  # three failures, then the answer
        await asyncio.sleep(0.1)
        assert len(api.sent(method="getMe")) == 4  # connected: no more attempts
    finally:
        await runtime.stop()


def test_the_backoff_doubles_up_to_its_cap() -> None:
    waits = backoff(1.0, 60.0)
    assert [next(waits) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


async def test_stop_cancels_the_retries(bot: Bot) -> None:
    api = FakeBotAPI()
    api.unreachable("getMe", times=1_000_000)
    runtime = telegram(bot, api, retry=(0.01, 0.02))
    await runtime.start()
    await eventually(lambda: len(api.sent(method="getMe")) >= 3)
    await runtime.stop()  # while a retry is waiting: cancelled, nothing left running
    attempts = len(api.sent(method="getMe"))
    await asyncio.sleep(0.1)  # five retry periods
    assert len(api.sent(method="getMe")) == attempts
    assert not runtime.ready


async def test_an_update_past_the_memory_limit_waits_in_the_database(
    bot: Bot, clock: FakeClock
) -> None:
    """Beyond `waiting_limit` nothing is kept in memory: the inbox row is replayed once
    Telegram is back, never before (replays while down would use up its attempts)."""
    api = FakeBotAPI()
    api.unreachable("getMe", times=1_000_000)
    runtime = telegram(bot, api, waiting_limit=0)
    worker = Worker(bot, [runtime], stalled_after=timedelta(seconds=60))
    app = create_app(bot, [runtime])
    async with serving(app) as http:
        assert (await post_telegram(http, telegram_update())).status_code == 200
        assert runtime.application.update_queue.empty()
        clock.advance(minutes=2)
        counts = await worker.tick()
        assert counts["replayed"] == 0
        assert "sent_telegram" not in counts  # its outbox waits too
        [row] = await unhandled(bot)
        assert row.attempts == 0
        api.reachable("getMe")
        await eventually(lambda: runtime.ready)
        assert (await worker.tick())["replayed"] == 1
        await eventually(lambda: api.sent(CHAT))
        await eventually(lambda: not runtime.busy)
    assert len(api.sent(CHAT)) == 1
    assert "VNeID" in api.sent(CHAT)[0].params["text"]


async def test_a_rejected_token_is_not_retried(bot: Bot, caplog) -> None:
    api = FakeBotAPI()
    api.fail("getMe", 401, "Unauthorized")
    runtime = telegram(bot, api)
    app = create_app(bot, [runtime])
    with caplog.at_level(logging.INFO):
        async with serving(app) as http:
            await asyncio.sleep(0.2)  # ten retry periods
            readiness = await http.get("/readyz")
            assert (await http.get("/healthz")).status_code == 200
    assert len(api.sent(method="getMe")) == 1
    assert runtime.token_rejected
    assert not runtime.ready
    assert readiness.status_code == 503
    assert readiness.json()["channels"] == {"telegram": "not ready"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "TELEGRAM_BOT_TOKEN was rejected" in logged
    assert "TEST-TOKEN" not in logged  # PTB's own error message quotes the token


async def test_readyz_is_503_when_the_database_is_unreachable(bot: Bot) -> None:
    """A PostgreSQL URL on a loopback port nobody listens on: refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = create_engine(f"postgresql+asyncpg://trolyso:x@127.0.0.1:{port}/trolyso")
    down = Bot(bot.assistant, session_factory(engine), bot.clock)
    zalo_api = FakeZaloBotApi()
    app = create_app(down, [make_runtime(down, zalo_api)], probe_timeout=2.0)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            health = await http.get("/healthz")
            readiness = await http.get("/readyz")
            figures = await scrape(http)
    finally:
        await engine.dispose()
    assert health.status_code == 200  # liveness: the process is fine, do not restart it
    assert readiness.status_code == 503
    assert readiness.json() == {
        "status": "not ready",
        "database": "unreachable",
        "channels": {"zalobot": "ready"},
    }
    assert value(figures, "trolyso_database_up") == 0
    assert ("trolyso_outbox_pending", (("channel", "zalobot"),)) not in figures
    assert value(figures, "trolyso_updates_received_total", channel="zalobot") == 0


async def test_readyz_is_200_when_everything_is_ready(bot: Bot, zalo) -> None:
    _, zalo_runtime = zalo
    api = FakeBotAPI()
    app = create_app(bot, [telegram(bot, api), zalo_runtime])
    async with serving(app) as http:
        readiness = await http.get("/readyz")
    assert readiness.status_code == 200
    assert readiness.json() == {
        "status": "ready",
        "database": "ok",
        "channels": {"telegram": "ready", "zalobot": "ready"},
    }
