"""A Zalo OA runtime on the real core and database, talking to a fake Zalo.

`FakeZalo` answers the two endpoints the bot calls (customer-service messages and the OAuth
token endpoint) through `httpx.MockTransport`, with Zalo's quirks: HTTP 200 with a non-zero
`error`, `expires_in` as a quoted string, and single-use refresh tokens. `ZaloPerson` sends
signed webhook events built from the recorded-shape samples in tests/data/zalo_oa through the
real ASGI route, waits for the background handling and reads what the OA sent back.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl

import httpx
import pytest
from pydantic import SecretStr

from bot.channels.zalo_oa.client import TokenGrant
from bot.channels.zalo_oa.runtime import ZaloOARuntime, build_zalo_oa
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.signature import sign
from bot.channels.zalo_oa.tokens import TokenKeeper
from bot.services import Bot
from bot.settings import Settings
from bot.web.app import create_app
from tests.channels.conftest import FakeClock

DATA = Path(__file__).resolve().parents[2] / "data" / "zalo_oa"
APP_ID = "2553928453557884079"
APP_SECRET = "app-secret-for-tests"
OA_SECRET = "oa-secret-key-for-tests"
OA_ID = "3886132808788086450"
_msg_ids = itertools.count(1)


def sample(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")))


def millis(clock: FakeClock) -> str:
    return str(int(clock.now.timestamp() * 1000))


def signed(payload: dict[str, Any], secret: str = OA_SECRET) -> tuple[bytes, dict[str, str]]:
    """The body and headers Zalo would send for this event."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    signature = sign(str(payload["app_id"]), body, str(payload["timestamp"]), secret)
    return body, {"X-ZEvent-Signature": signature, "Content-Type": "application/json"}


@dataclass
class Sent:
    """One customer-service message the fake Zalo accepted."""

    user_id: str
    access_token: str
    message: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.message.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, str]]:
        attachment = self.message.get("attachment") or {}
        return list(attachment.get("payload", {}).get("buttons", []))


@dataclass
class FakeZalo:
    """Zalo's OA API and OAuth endpoint, in memory."""

    sent: list[Sent] = field(default_factory=list)
    send_calls: int = 0
    send_answers: deque[dict[str, Any]] = field(default_factory=deque)  # forced answers
    token_calls: list[dict[str, str]] = field(default_factory=list)
    token_secrets: list[str | None] = field(default_factory=list)
    grant_answers: deque[dict[str, Any]] = field(default_factory=deque)
    valid_access: set[str] = field(default_factory=set)
    refresh_token: str | None = None
    code: str = "auth-code-from-zalo"
    expires_in: Any = "90000"  # Zalo quotes it
    refresh_delay: float = 0.0
    issued: int = 0

    def issue(self) -> TokenGrant:
        self.issued += 1
        grant = TokenGrant(f"access-{self.issued}", f"refresh-{self.issued}", 90000)
        self.valid_access.add(grant.access_token)
        self.refresh_token = grant.refresh_token
        return grant

    @property
    def refresh_calls(self) -> int:
        return sum(1 for form in self.token_calls if form.get("grant_type") == "refresh_token")

    def texts_to(self, user_id: str) -> list[str]:
        return [s.text for s in self.sent if s.user_id == user_id]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "openapi.zalo.me" and request.url.path == "/v3.0/oa/message/cs":
            return self._send(request)
        if request.url.host == "oauth.zaloapp.com" and request.url.path == "/v4/oa/access_token":
            return await self._token(request)
        return httpx.Response(404, json={"error": -404, "message": "unknown endpoint"})

    def _send(self, request: httpx.Request) -> httpx.Response:
        self.send_calls += 1
        token = request.headers.get("access_token", "")
        body = json.loads(request.content)
        if self.send_answers:
            return httpx.Response(200, json=self.send_answers.popleft())
        if token not in self.valid_access:
            return httpx.Response(200, json={"error": -216, "message": "Access token is invalid"})
        user_id = body["recipient"]["user_id"]
        self.sent.append(Sent(user_id, token, body["message"]))
        data = {"message_id": f"zmsg-{len(self.sent)}", "user_id": user_id}
        return httpx.Response(200, json={"error": 0, "message": "Success", "data": data})

    async def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        self.token_calls.append(form)
        self.token_secrets.append(request.headers.get("secret_key"))
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)  # lets a second renewal race this one
        if self.grant_answers:
            return httpx.Response(200, json=self.grant_answers.popleft())
        refused = {
            "error": -14014,
            "error_name": "invalid_grant",
            "error_description": "Invalid refresh token",
        }
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != self.refresh_token:
                return httpx.Response(400, json=refused)
        elif form.get("code") != self.code or not form.get("code_verifier"):
            return httpx.Response(400, json={**refused, "error": -14002})
        grant = self.issue()
        return httpx.Response(
            200,
            json={
                "access_token": grant.access_token,
                "refresh_token": grant.refresh_token,
                "expires_in": self.expires_in,
            },
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def zalo_settings() -> Settings:
    return Settings().model_copy(
        update={
            "zalo_app_id": APP_ID,
            "zalo_app_secret": SecretStr(APP_SECRET),
            "zalo_oa_secret_key": SecretStr(OA_SECRET),
        }
    )


def keeper_of(runtime: ZaloOARuntime) -> TokenKeeper:
    return cast(ZaloOASender, runtime.sender).tokens


@pytest.fixture
def zalo() -> FakeZalo:
    return FakeZalo()


@pytest.fixture
async def runtime(bot: Bot, zalo: FakeZalo) -> AsyncIterator[ZaloOARuntime]:
    """The OA channel, already authorized (a token pair with 25 hours left)."""
    runtime = build_zalo_oa(bot, zalo_settings(), transport=zalo.transport())
    await runtime.start()
    await keeper_of(runtime).store(zalo.issue())
    yield runtime
    await runtime.stop()


@pytest.fixture
async def http(bot: Bot, runtime: ZaloOARuntime) -> AsyncIterator[httpx.AsyncClient]:
    """The real web application; ASGITransport skips the lifespan (the fixture ran it)."""
    app = create_app(bot, [runtime])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.test") as client:
        yield client


@dataclass
class ZaloPerson:
    """Someone chatting with the OA; every event goes through the signed webhook."""

    http: httpx.AsyncClient
    runtime: ZaloOARuntime
    zalo: FakeZalo
    clock: FakeClock
    user_id: str
    seen: int = 0

    def event(self, name: str, **message: Any) -> dict[str, Any]:
        """A sample event for this person, now, with a fresh message id."""
        payload = copy.deepcopy(sample(name))
        payload["timestamp"] = millis(self.clock)
        for part in ("sender", "follower"):
            if part in payload:
                payload[part]["id"] = self.user_id
        if "message" in payload:
            payload["message"]["msg_id"] = f"msg-{next(_msg_ids)}"
            payload["message"].update(message)
        return payload

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        body, headers = signed(payload)
        response = await self.http.post("/zalo/webhook", content=body, headers=headers)
        await self.runtime.drain()
        return response

    async def deliver(self, payload: dict[str, Any]) -> list[str]:
        response = await self.post(payload)
        assert response.status_code == 200, response.text
        return self.new_texts()

    async def say(self, text: str) -> list[str]:
        return await self.deliver(self.event("user_send_text", text=text))

    def button(self, title_part: str) -> dict[str, str]:
        """The latest button sent to this person whose title contains `title_part`."""
        mine = [s for s in self.zalo.sent if s.user_id == self.user_id]
        for sent in reversed(mine):
            for button in sent.buttons:
                if title_part in button["title"]:
                    return button
        titles = [b["title"] for s in mine[-3:] for b in s.buttons]
        raise AssertionError(f"no button {title_part!r} in {titles}")

    async def press(self, title_part: str) -> list[str]:
        """Tap a button: Zalo makes the person send its payload as (hidden) text."""
        return await self.say(self.button(title_part)["payload"])

    async def flush(self) -> list[str]:
        """The maintenance loop's part: send what others caused for this person."""
        await self.runtime.dispatcher.flush()
        return self.new_texts()

    def new_texts(self) -> list[str]:
        texts = self.zalo.texts_to(self.user_id)
        new, self.seen = texts[self.seen :], len(texts)
        return new


@pytest.fixture
def zalo_people(
    http: httpx.AsyncClient, runtime: ZaloOARuntime, zalo: FakeZalo, clock: FakeClock
) -> Callable[[str], ZaloPerson]:
    def make(user_id: str) -> ZaloPerson:
        return ZaloPerson(http, runtime, zalo, clock, user_id)

    return make
