"""Tests of the Zalo Bot channel, and the helpers they share.

`FakeZaloBotApi` answers the platform's HTTP API in-process (httpx.MockTransport) and records
every call; `ZaloPerson` types to the bot through the real webhook route and reads what the
bot sent back, choosing by number as a person on the platform does.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.channels.zalo_bot.client import ZaloBotClient
from bot.channels.zalo_bot.runtime import SECRET_HEADER, WEBHOOK_PATH, ZaloBotRuntime
from bot.services import Bot
from bot.web.app import create_app

TOKEN = "1234567890:zalobot-test-token-AbCdEf"
SECRET = "zalobot-webhook-secret-123"
CHAT = "6ede9afa66b88fe6d6a9"  # the chat id in the recorded payloads
DATA = Path(__file__).resolve().parents[2] / "data" / "zalo_bot"
_message_ids = itertools.count(1)
_CHOICE_LINE = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def load_event(name: str) -> dict[str, Any]:
    """A recorded payload from tests/data/zalo_bot, as Zalo posts it."""
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def text_event(
    text: str,
    chat: str = CHAT,
    message_id: str | None = None,
    *,
    envelope: bool = True,
    name: str = "message.text.received",
) -> dict[str, Any]:
    """The recorded text message, with another text, chat and message id."""
    data = load_event("text_envelope")
    event = copy.deepcopy(data["result"])
    event["event_name"] = name
    message = event["message"]
    message["text"] = text
    message["chat"]["id"] = chat
    message["from"]["id"] = chat
    message["message_id"] = message_id or f"msg-{next(_message_ids)}"
    return {"ok": True, "result": event} if envelope else event


def ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": result})


def refusal(status: int, code: int, description: str, **parameters: Any) -> httpx.Response:
    """An error answer as the platform gives it."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return httpx.Response(status, json=body)


@dataclass
class Call:
    method: str
    body: dict[str, Any]


@dataclass
class FakeZaloBotApi:
    """The platform's API: records calls, answers them, fails them when told to."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[httpx.Response | Exception]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    updates: deque[Any] = field(default_factory=deque)
    webhook_url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _polls: list[asyncio.Event] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def fail(self, method: str, *answers: httpx.Response | Exception) -> None:
        """The next calls of `method` get these answers (a response or a raised error)."""
        self.failures[method].extend(answers)

    def push(self, *updates: Any) -> None:
        """Events (or answers) for getUpdates; a waiting long poll returns at once."""
        self.updates.extend(updates)
        for waiting in self._polls:
            waiting.set()
        self._polls.clear()

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def sent(self, chat: str | None = None) -> list[str]:
        """Texts delivered by sendMessage (failed attempts excluded), oldest first."""
        return [
            call.body["text"]
            for call in self.calls_to("sendMessage")
            if call.body.get("delivered") is not False
            and (chat is None or call.body["chat_id"] == chat)
        ]

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        prefix, method = request.url.path.rsplit("/", 1)
        assert prefix.endswith(f"/bot{TOKEN}"), request.url.path
        body = json.loads(request.content or b"{}")
        call = Call(method, body)
        self.calls.append(call)
        if self.failures[method]:
            answer = self.failures[method].popleft()
            call.body["delivered"] = False
            if isinstance(answer, Exception):
                raise answer
            return answer
        if method == "sendMessage":
            assert 1 <= len(body["text"]) <= 2000
            return ok({"message_id": f"zm-{next(self._ids)}", "date": 1763892000000})
        if method == "getUpdates":
            while not self.updates:  # a long poll with nothing to say waits
                arrived = asyncio.Event()
                self._polls.append(arrived)
                await arrived.wait()
            item = self.updates.popleft()
            return item if isinstance(item, httpx.Response) else ok(item)
        if method == "sendChatAction":
            return ok(True)
        if method == "getMe":
            return ok(
                {
                    "id": "2718281828",
                    "account_name": "Bot Trợ lý số",
                    "account_type": "BASIC",
                    "can_join_groups": False,
                }
            )
        if method == "getWebhookInfo":
            return ok({"url": self.webhook_url, "updated_at": 1763892000000})
        if method == "setWebhook":
            self.webhook_url = body["url"]
            return ok({"url": body["url"], "updated_at": 1763892000000})
        if method == "deleteWebhook":
            self.webhook_url = ""
            return ok({"url": "", "updated_at": 1763892000000})
        return refusal(404, 404, "Not Found")


def make_runtime(bot: Bot, api: FakeZaloBotApi, secret: str = SECRET, **options: Any):
    """A runtime on the fake API; "typing..." is left out unless a test asks for it."""
    options.setdefault("typing_after", 60.0)
    return ZaloBotRuntime(bot, ZaloBotClient(TOKEN, transport=api.transport), secret, **options)


def choices(text: str) -> dict[int, str]:
    """The numbered choices shown in a message: number -> title."""
    return {int(number): title for number, title in _CHOICE_LINE.findall(text)}


@dataclass
class ZaloPerson:
    """Someone writing to the bot on Zalo, through the real webhook route."""

    http: httpx.AsyncClient
    api: FakeZaloBotApi
    runtime: ZaloBotRuntime
    chat: str
    seen: int = 0
    last: list[str] = field(default_factory=list)

    async def post(self, payload: Any, secret: str | None = SECRET) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        response = await self.http.post(WEBHOOK_PATH, json=payload, headers=headers)
        await self.runtime.drain()
        return response

    async def say(self, text: str, *, envelope: bool = True) -> str:
        """Type a message; what the bot answered (all new messages to this chat)."""
        response = await self.post(text_event(text, self.chat, envelope=envelope))
        assert response.status_code == 200
        return self._news()

    async def inbox(self) -> str:
        """Messages others caused (a volunteer's answer), once the outbox is flushed."""
        await self.runtime.dispatcher.flush()
        return self._news()

    def number_of(self, title_part: str) -> int:
        """The number shown for the choice whose title contains `title_part` (newest first)."""
        for text in reversed(self.api.sent(self.chat)):
            for number, title in sorted(choices(text).items(), reverse=True):
                if title_part in title:
                    return number
        raise AssertionError(f"no choice {title_part!r} in {self.last}")

    async def choose(self, title_part: str) -> str:
        return await self.say(str(self.number_of(title_part)))

    def _news(self) -> str:
        sent = self.api.sent(self.chat)
        self.last = sent[self.seen :]
        self.seen = len(sent)
        return "\n".join(self.last)


@dataclass
class Harness:
    """The fake platform, the runtime and an HTTP client on the real web application."""

    bot: Bot
    api: FakeZaloBotApi
    runtime: ZaloBotRuntime
    http: httpx.AsyncClient

    def person(self, chat: str = CHAT) -> ZaloPerson:
        return ZaloPerson(self.http, self.api, self.runtime, chat)


@contextlib.asynccontextmanager
async def harness(bot: Bot, secret: str = SECRET, **options: Any) -> AsyncIterator[Harness]:
    """create_app(bot, [runtime]) behind httpx.ASGITransport, which runs no lifespan: the
    runtime is started and stopped here."""
    api = FakeZaloBotApi()
    runtime = make_runtime(bot, api, secret, **options)
    app = create_app(bot, [runtime])
    await runtime.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Harness(bot, api, runtime, http)
    finally:
        await runtime.stop()
