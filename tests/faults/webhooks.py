"""The three webhooks behind the real ASGI application, driven with raw bytes.

Each driver starts its channel on the real core and database, posts a body as the platform
would (with the right secret or signature unless told otherwise), waits for the background
processing, and says what the fake platform was asked to send. The transport returns a 500
instead of raising, so a crash is seen as the platform would see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.runtime import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from bot.channels.telegram.runtime import TelegramRuntime
from bot.channels.zalo_bot.runtime import SECRET_HEADER as ZALOBOT_SECRET_HEADER
from bot.channels.zalo_bot.runtime import WEBHOOK_PATH as ZALOBOT_PATH
from bot.channels.zalo_oa.runtime import WEBHOOK_PATH as ZALO_PATH
from bot.channels.zalo_oa.runtime import build_zalo_oa
from bot.channels.zalo_oa.signature import sign
from bot.services import Bot
from bot.web.app import create_app
from storage.models import InboundEventRow
from tests.channels.telegram.conftest import SECRET as TELEGRAM_SECRET
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.zalo_bot import SECRET as ZALOBOT_SECRET
from tests.channels.zalo_bot import FakeZaloBotApi, make_runtime
from tests.channels.zalo_oa.conftest import APP_ID, OA_SECRET, FakeZalo, keeper_of, zalo_settings

__all__ = ["CHAT_IDS", "Webhook", "open_webhook"]

# What a chat id each platform can be sent to looks like.
CHAT_IDS = {
    "telegram": re.compile(r"[1-9][0-9]{0,18}"),
    "zalobot": re.compile(r"[A-Za-z0-9_-]{1,64}"),
    "zalo": re.compile(r"[0-9]{1,32}"),
}
SETTLE_SECONDS = 10.0


@dataclass
class Webhook:
    """One channel's route, how to wait for its background work, and what it sent."""

    channel: str
    path: str
    http: httpx.AsyncClient
    headers: Callable[[bytes, bool], dict[str, str]]
    idle: Callable[[], bool]
    drain: Callable[[], Any]
    sent_to: Callable[[], list[str]]  # chat ids of accepted sends, oldest first
    attempts: Callable[[], int]  # send calls made, refused ones included
    sessions: async_sessionmaker[AsyncSession]

    async def post(
        self, body: bytes, *, authentic: bool = True, content_type: str = "application/json"
    ) -> httpx.Response:
        headers = {**self.headers(body, authentic), "Content-Type": content_type}
        response = await self.http.post(self.path, content=body, headers=headers)
        await self.settle()
        return response

    async def settle(self) -> None:
        """Wait (bounded) until every stored delivery was processed.

        A delivery whose processing failed stays open: the wait ends at the deadline and the
        test's own check of the inbox says what went wrong.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while loop.time() < deadline:
            await self.drain()
            # The inbox first, then (with no await in between) the channel: the other order
            # let a handler settle its delivery during the query and still be sending.
            if not await self._open_deliveries() and self.idle():
                return
            await asyncio.sleep(0.01)

    async def _open_deliveries(self) -> int:
        async with self.sessions() as session:
            query = select(func.count()).where(InboundEventRow.handled_at.is_(None))
            return int(await session.scalar(query) or 0)


def _client(bot: Bot, runtime: Any) -> httpx.AsyncClient:
    app = create_app(bot, [runtime])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="https://bot.test")


async def _nothing() -> None:
    await asyncio.sleep(0)


def _telegram_headers(body: bytes, authentic: bool) -> dict[str, str]:
    return {TELEGRAM_SECRET_HEADER: TELEGRAM_SECRET if authentic else "wrong-secret"}


def _zalobot_headers(body: bytes, authentic: bool) -> dict[str, str]:
    return {ZALOBOT_SECRET_HEADER: ZALOBOT_SECRET if authentic else "wrong-secret"}


def _zalo_headers(body: bytes, authentic: bool) -> dict[str, str]:
    """Zalo's signature over this body when it names a timestamp; a made-up one otherwise."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    timestamp = payload.get("timestamp") if isinstance(payload, dict) else None
    if not authentic or timestamp is None:
        return {"X-ZEvent-Signature": "0" * 64}
    return {"X-ZEvent-Signature": sign(APP_ID, body, str(timestamp), OA_SECRET)}


@contextlib.asynccontextmanager
async def open_webhook(channel: str, bot: Bot) -> AsyncIterator[Webhook]:
    """The channel's runtime started on `bot`, behind the web application."""
    if channel == "telegram":
        api = FakeBotAPI()
        telegram = TelegramRuntime(
            bot, "123456:TEST-TOKEN", TELEGRAM_SECRET, request=api, rate_limit=False
        )
        await telegram.start()
        sends = ("sendMessage", "sendDocument", "editMessageText")
        try:
            async with _client(bot, telegram) as http:
                yield Webhook(
                    channel,
                    "/telegram/webhook",
                    http,
                    _telegram_headers,
                    lambda: telegram.application.update_queue.empty() and not telegram.busy,
                    _nothing,
                    lambda: [str(c.params.get("chat_id")) for c in api.calls if c.method in sends],
                    lambda: sum(1 for c in api.calls if c.method in sends),
                    bot.sessions,
                )
        finally:
            await telegram.stop()
    elif channel == "zalobot":
        platform = FakeZaloBotApi()
        zalobot = make_runtime(bot, platform)
        await zalobot.start()
        try:
            async with _client(bot, zalobot) as http:
                yield Webhook(
                    channel,
                    ZALOBOT_PATH,
                    http,
                    _zalobot_headers,
                    lambda: True,
                    zalobot.drain,
                    lambda: [
                        str(c.body.get("chat_id"))
                        for c in platform.calls_to("sendMessage")
                        if c.body.get("delivered") is not False
                    ],
                    lambda: len(platform.calls_to("sendMessage")),
                    bot.sessions,
                )
        finally:
            await zalobot.stop()
    else:
        zalo = FakeZalo()
        oa = build_zalo_oa(bot, zalo_settings(), transport=zalo.transport())
        await oa.start()
        await keeper_of(oa).store(zalo.issue())
        try:
            async with _client(bot, oa) as http:
                yield Webhook(
                    channel,
                    ZALO_PATH,
                    http,
                    _zalo_headers,
                    lambda: True,
                    oa.drain,
                    lambda: [s.user_id for s in zalo.sent],
                    lambda: zalo.send_calls,
                    bot.sessions,
                )
        finally:
            await oa.stop()
