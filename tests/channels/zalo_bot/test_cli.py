"""`trolyso zalobot`: webhook set-up refuses weak secrets, and the token never shows."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
from typing import Any

import pytest
from pydantic import SecretStr

from bot.channels.cli import add_zalobot_parser
from bot.channels.zalo_bot.cli import run_zalobot
from bot.services import Services
from bot.settings import Settings
from tests.channels.zalo_bot import CHAT, TOKEN, FakeZaloBotApi, refusal, text_event

URL = "https://trolyso.example.vn/zalobot/webhook"


def settings(token: str = TOKEN, secret: str | None = "a-long-random-secret") -> Settings:
    return Settings(_env_file=None).model_copy(  # type: ignore[call-arg]
        update={
            "zalo_bot_token": SecretStr(token),
            "zalo_bot_webhook_secret": SecretStr(secret) if secret is not None else None,
        }
    )


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trolyso")
    add_zalobot_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["zalobot", *argv])


async def run(api: FakeZaloBotApi, config: Settings, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await run_zalobot(parse(*argv), config, transport=api.transport, out=out, err=err)
    assert TOKEN not in out.getvalue() + err.getvalue()
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("secret", ["short", "", None])
async def test_set_webhook_refuses_a_missing_or_short_secret(secret: str | None) -> None:
    api = FakeZaloBotApi()
    status, _, err = await run(api, settings(secret=secret), "set-webhook", URL)
    assert status == 1
    assert "ZALO_BOT_WEBHOOK_SECRET" in err
    assert "8" in err
    assert api.calls == []


async def test_set_webhook_refuses_plain_http() -> None:
    api = FakeZaloBotApi()
    status, _, err = await run(api, settings(), "set-webhook", URL.replace("https", "http"))
    assert (status, api.calls) == (1, [])
    assert "https://" in err


async def test_set_webhook_registers_the_url_with_the_secret() -> None:
    api = FakeZaloBotApi()
    status, out, _ = await run(api, settings(), "set-webhook", URL)
    assert status == 0
    assert api.calls_to("setWebhook")[0].body == {
        "url": URL,
        "secret_token": "a-long-random-secret",
    }
    assert URL in out


async def test_info_and_delete_webhook() -> None:
    api = FakeZaloBotApi()
    api.webhook_url = URL
    status, out, _ = await run(api, settings(), "info")
    assert status == 0
    assert "Bot Trợ lý số" in out
    assert URL in out
    status, out, _ = await run(api, settings(), "delete-webhook")
    assert (status, api.webhook_url) == (0, "")
    status, out, _ = await run(api, settings(), "info")
    assert "chưa đặt" in out


async def test_a_refusal_is_reported_without_the_token() -> None:
    api = FakeZaloBotApi()
    api.fail("deleteWebhook", refusal(401, 401, f"Unauthorized: bot{TOKEN}"))
    status, _, err = await run(api, settings(), "delete-webhook")
    assert status == 1
    assert "401" in err


async def test_without_a_token_nothing_is_called() -> None:
    api = FakeZaloBotApi()
    status, _, err = await run(api, settings(token=""), "info")
    assert (status, api.calls) == (1, [])
    assert "ZALO_BOT_TOKEN" in err


async def test_poll_refuses_while_a_webhook_is_registered() -> None:
    api = FakeZaloBotApi()
    api.webhook_url = URL
    services: Any = object()  # not reached: the webhook check comes first
    out, err = io.StringIO(), io.StringIO()
    status = await run_zalobot(
        parse("poll"), settings(), services, transport=api.transport, out=out, err=err
    )
    assert status == 1
    assert "delete-webhook" in err.getvalue()
    assert api.calls_to("getUpdates") == []


async def test_poll_answers_until_ctrl_c(bot, content, matcher, places, engine) -> None:
    api = FakeZaloBotApi()
    api.push(text_event("cach cai vneid", envelope=False))
    services = Services(settings(), content, matcher, places, engine, bot)
    out, err = io.StringIO(), io.StringIO()
    polling = asyncio.create_task(
        run_zalobot(parse("poll"), settings(), services, transport=api.transport, out=out, err=err)
    )
    for _ in range(500):  # answered, and waiting in the next long poll
        if api.sent(CHAT) and len(api.calls_to("getUpdates")) >= 2:
            break
        await asyncio.sleep(0.01)
    os.kill(os.getpid(), signal.SIGINT)  # the operator presses Ctrl+C
    assert await asyncio.wait_for(polling, 5) == 0
    assert content.intents["vneid.activate"].answer.splitlines()[0] in api.sent(CHAT)[0]
    assert "Ctrl+C" in out.getvalue()
    assert "Đã dừng" in out.getvalue()
