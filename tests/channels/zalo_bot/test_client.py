"""The thin API client: URLs, answers, refusals and their meaning for the outbox."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest

from bot.channels.zalo_bot.client import (
    DEFAULT_API_BASE,
    ZaloBotClient,
    ZaloBotError,
    mask_token,
)
from bot.channels.zalo_bot.convert import to_incoming, unwrap
from bot.channels.zalo_bot.sender import send_error
from tests.channels.zalo_bot import TOKEN, FakeZaloBotApi, load_event, ok, refusal


@pytest.fixture
def api() -> FakeZaloBotApi:
    return FakeZaloBotApi()


@pytest.fixture
async def client(api: FakeZaloBotApi):
    client = ZaloBotClient(TOKEN, transport=api.transport)
    yield client
    await client.aclose()


async def test_calls_post_json_to_the_token_url(client: ZaloBotClient) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok({"message_id": 42, "date": 1})

    direct = ZaloBotClient(
        TOKEN, base_url="https://example.test/", transport=httpx.MockTransport(handler)
    )
    assert await direct.send_message("chat-1", "Xin chào") == "42"
    await direct.aclose()
    [request] = seen
    assert str(request.url) == f"https://example.test/bot{TOKEN}/sendMessage"
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.read()) == {"chat_id": "chat-1", "text": "Xin chào"}
    assert client.url("getMe") == f"{DEFAULT_API_BASE}/bot{TOKEN}/getMe"


async def test_get_updates_gives_one_event_a_list_or_nothing(
    client: ZaloBotClient, api: FakeZaloBotApi
) -> None:
    event = load_event("text_envelope")["result"]
    api.updates.extend(
        [
            event,
            [event, event, "junk"],
            {},
            None,
            refusal(200, 408, "Request timeout"),
            refusal(408, 408, "Request timeout"),
        ]
    )
    assert await client.get_updates() == [event]
    assert await client.get_updates() == [event, event]
    for _ in range(4):
        assert await client.get_updates() == []
    assert api.calls_to("getUpdates")[0].body == {"timeout": 30}


async def test_get_updates_raises_real_failures(
    client: ZaloBotClient, api: FakeZaloBotApi
) -> None:
    api.fail("getUpdates", refusal(401, 401, "Unauthorized"))
    with pytest.raises(ZaloBotError) as error:
        await client.get_updates()
    assert error.value.code == 401


@pytest.mark.parametrize("secret", ["short", "x" * 257, ""])
async def test_set_webhook_refuses_a_bad_secret_before_calling(
    client: ZaloBotClient, api: FakeZaloBotApi, secret: str
) -> None:
    with pytest.raises(ValueError, match="8-256"):
        await client.set_webhook("https://trolyso.example.vn/zalobot/webhook", secret)
    assert api.calls == []


async def test_set_webhook_needs_https(client: ZaloBotClient, api: FakeZaloBotApi) -> None:
    with pytest.raises(ValueError, match="https"):
        await client.set_webhook("http://trolyso.example.vn/zalobot/webhook", "s" * 16)
    await client.set_webhook("https://trolyso.example.vn/zalobot/webhook", "s" * 16)
    assert api.calls_to("setWebhook")[0].body == {
        "url": "https://trolyso.example.vn/zalobot/webhook",
        "secret_token": "s" * 16,
    }
    assert (await client.get_webhook_info()).url == "https://trolyso.example.vn/zalobot/webhook"
    await client.delete_webhook()
    assert (await client.get_webhook_info()).url == ""


async def test_get_me(client: ZaloBotClient) -> None:
    me = await client.get_me()
    assert (me.id, me.account_name, me.can_join_groups) == ("2718281828", "Bot Trợ lý số", False)


async def test_chat_action(client: ZaloBotClient, api: FakeZaloBotApi) -> None:
    await client.send_chat_action("chat-1")
    assert api.calls_to("sendChatAction")[0].body == {"chat_id": "chat-1", "action": "typing"}


async def test_refusals_are_logged_without_the_token_or_the_text(
    client: ZaloBotClient, api: FakeZaloBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="httpx")
    api.fail("sendMessage", refusal(403, 403, f"Forbidden for /bot{TOKEN}/sendMessage"))
    with pytest.raises(ZaloBotError) as error:
        await client.send_message("chat-1", "mật khẩu của tôi là abc123")
    assert TOKEN not in str(error.value)
    assert TOKEN not in caplog.text
    assert "abc123" not in caplog.text
    assert "sendMessage" in caplog.text
    assert "403" in caplog.text


async def test_a_non_json_answer_is_a_clear_error(
    client: ZaloBotClient, api: FakeZaloBotApi
) -> None:
    api.fail("getMe", httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(ZaloBotError, match="not a JSON object") as error:
        await client.get_me()
    assert error.value.status == 502


def test_mask_token() -> None:
    url = f"https://bot-api.zaloplatforms.com/bot{TOKEN}/sendMessage"
    assert mask_token(url) == "https://bot-api.zaloplatforms.com/bot***/sendMessage"
    assert mask_token("https://x.vn/bot99:other-token/getMe") == "https://x.vn/bot***/getMe"


@pytest.mark.parametrize(
    ("error", "final", "kind", "retry_after"),
    [
        (
            ZaloBotError("sendMessage", "Forbidden", status=403, error_code=403),
            True,
            "blocked",
            None,
        ),
        (
            ZaloBotError("sendMessage", "user blocked the bot", status=200, error_code=400),
            True,
            "blocked",
            None,
        ),
        (
            ZaloBotError("sendMessage", "text too long", status=400, error_code=400),
            True,
            "other",
            None,
        ),
        (
            ZaloBotError(
                "sendMessage", "Too Many Requests", status=429, error_code=429, retry_after=7
            ),
            False,
            "other",
            7,
        ),
        (
            ZaloBotError("sendMessage", "rate limit exceeded", status=200, error_code=-32),
            False,
            "other",
            30,
        ),
        (ZaloBotError("sendMessage", "Bad Gateway", status=502), False, "other", None),
        (ZaloBotError("sendMessage", "network error (ConnectError)"), False, "other", None),
        (
            ZaloBotError("sendMessage", "Unauthorized", status=401, error_code=401),
            False,
            "other",
            None,
        ),
    ],
    ids=["403", "blocked-words", "400", "429", "rate-words", "502", "network", "401"],
)
def test_send_errors_map_to_what_the_dispatcher_needs(
    error: ZaloBotError, final: bool, kind: str, retry_after: float | None
) -> None:
    mapped = send_error(error)
    assert (mapped.final, mapped.kind, mapped.retry_after) == (final, kind, retry_after)
    assert "sendMessage" in mapped.reason


def test_events_are_read_in_both_shapes_and_unknown_ones_are_named() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    wrapped = load_event("text_envelope")
    raw = load_event("text_raw")
    first = to_incoming(unwrap(wrapped) or {}, now)
    second = to_incoming(unwrap(raw) or {}, now)
    assert first.message is not None
    assert second.message is not None
    assert first.message.text == second.message.text == "cach cai vneid"
    assert first.message.key.user_id == "6ede9afa66b88fe6d6a9"
    assert first.message.message_id == first.external_id == "2d758cb5e222177a4e35"
    assert first.message.received_at == datetime(2025, 11, 23, 10, 0, 0, 123000, tzinfo=UTC)
    image = to_incoming(unwrap(load_event("image")) or {}, now)
    assert image.message is not None
    assert image.message.kind == "other"
    unknown = to_incoming(unwrap(load_event("unknown_event")) or {}, now)
    assert unknown.message is None
    assert unknown.event_name == "message.reaction.received"
    nameless = to_incoming({"hello": "world"}, now)
    assert nameless.message is None
    assert nameless.external_id.startswith("event:")
    assert nameless.external_id == to_incoming({"hello": "world"}, now).external_id
