"""The webhook route: who may post, what is stored, and what the citizen gets back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.zalo_bot.runtime import MAX_BODY_BYTES, SECRET_HEADER, WEBHOOK_PATH
from bot.messages import IncomingMessage
from bot.services import Bot
from bot.worker import Worker
from storage.choices import ChoiceMenuRepository
from storage.inbox import InboxRepository
from storage.models import InboundEventRow, OutboxRow
from tests.channels.conftest import ChunkedBody, FakeClock
from tests.channels.zalo_bot import (
    CHAT,
    SECRET,
    TOKEN,
    Harness,
    choices,
    harness,
    load_event,
    text_event,
)


@pytest.fixture
async def channel(bot: Bot) -> AsyncIterator[Harness]:
    async with harness(bot) as opened:
        yield opened


async def stored_events(bot: Bot) -> list[InboundEventRow]:
    async with bot.sessions() as session:
        return list((await session.execute(select(InboundEventRow))).scalars())


async def test_a_faq_question_without_diacritics_is_answered(channel: Harness, content) -> None:
    citizen = channel.person()
    answer = await citizen.say("cach cai vneid")
    intent = content.intents["vneid.activate"]
    assert intent.answer.splitlines()[0] in answer
    shown = choices(answer)
    assert shown[1] == content.intents[intent.follow_ups[0]].title
    assert "gõ số để chọn" in answer
    # The delivery was stored and settled in the transaction that answered it.
    [event] = await stored_events(channel.bot)
    assert event.channel == "zalobot"
    assert event.handled_at is not None
    async with channel.bot.sessions() as session:
        menu = await ChoiceMenuRepository(session).get("zalobot", CHAT)
    assert menu is not None
    assert len(menu.payloads) == len(shown)


@pytest.mark.parametrize("shape", ["text_envelope", "text_raw"])
async def test_both_payload_shapes_are_accepted(channel: Harness, content, shape: str) -> None:
    response = await channel.person().post(load_event(shape))
    assert response.status_code == 200
    [text] = channel.api.sent(CHAT)
    assert content.intents["vneid.activate"].answer.splitlines()[0] in text


@pytest.mark.parametrize(
    ("secret", "label"), [("wrong-secret-value", "wrong"), (None, "missing"), ("", "empty")]
)
async def test_a_bad_secret_is_refused_and_nothing_is_stored(
    channel: Harness, secret: str | None, label: str
) -> None:
    response = await channel.person().post(load_event("text_envelope"), secret=secret)
    assert response.status_code == 403, label
    assert await stored_events(channel.bot) == []
    assert channel.api.calls == []


async def test_without_a_configured_secret_every_call_is_refused(bot: Bot) -> None:
    async with harness(bot, secret="") as channel:
        response = await channel.person().post(load_event("text_envelope"), secret="")
        assert response.status_code == 403
        assert await stored_events(bot) == []


async def test_malformed_json_is_refused_and_nothing_is_stored(channel: Harness) -> None:
    for body in (b'{"ok": true, "result": {', b"[1, 2, 3]", b"\xff\xfe"):
        response = await channel.http.post(
            WEBHOOK_PATH,
            content=body,
            headers={SECRET_HEADER: SECRET, "content-type": "application/json"},
        )
        assert response.status_code == 400, body
    assert await stored_events(channel.bot) == []


async def test_an_oversized_body_is_refused(channel: Harness) -> None:
    event = text_event("a" * 70_000)
    response = await channel.person().post(event)
    assert response.status_code == 413
    assert await stored_events(channel.bot) == []


async def test_a_body_streamed_past_the_cap_is_refused_unread(channel: Harness) -> None:
    """Chunked, so no Content-Length to refuse: the route stops reading at the cap."""
    body = ChunkedBody(total=16 * MAX_BODY_BYTES, chunk=4 * 1024)
    response = await channel.http.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 413
    assert response.text == "too large"
    assert MAX_BODY_BYTES < body.sent <= MAX_BODY_BYTES + body.chunk
    assert await stored_events(channel.bot) == []
    assert channel.api.calls == []


async def test_a_streamed_body_is_not_read_without_the_secret(channel: Harness) -> None:
    body = ChunkedBody(total=16 * MAX_BODY_BYTES)
    response = await channel.http.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: "x"})
    assert response.status_code == 403
    assert body.sent == 0  # the secret is checked before a byte is read


async def test_the_same_message_twice_is_answered_once(channel: Harness) -> None:
    citizen = channel.person()
    event = text_event("cach cai vneid", message_id="dup-1")
    assert (await citizen.post(event)).status_code == 200
    assert (await citizen.post(event)).status_code == 200  # Zalo retried
    assert await citizen.post(text_event("cach cai vneid", message_id="dup-1", envelope=False))
    assert len(channel.api.sent(CHAT)) == 1
    assert len(await stored_events(channel.bot)) == 1


@pytest.mark.parametrize("name", ["image", "unsupported"])
async def test_pictures_and_hidden_content_get_a_polite_text_only_answer(
    channel: Harness, content, name: str
) -> None:
    response = await channel.person().post(load_event(name))
    assert response.status_code == 200
    [text] = channel.api.sent(CHAT)
    assert text == content.messages.not_text
    assert [c.method for c in channel.api.calls] == ["sendMessage"]  # nothing downloaded


async def test_an_unknown_event_is_acknowledged_and_settled(channel: Harness, caplog) -> None:
    caplog.set_level("INFO", logger="bot.channels.zalo_bot.runtime")
    response = await channel.person().post(load_event("unknown_event"))
    assert response.status_code == 200
    [event] = await stored_events(channel.bot)
    assert event.handled_at is not None
    assert channel.api.calls == []
    assert "message.reaction.received" in caplog.text


@pytest.mark.parametrize("who", ["bot", "group"])
async def test_bots_and_group_chats_get_no_answer(channel: Harness, who: str) -> None:
    event = text_event("cach cai vneid")
    message = event["result"]["message"]
    if who == "bot":
        message["from"]["is_bot"] = True
    else:
        message["chat"]["chat_type"] = "GROUP"
    assert (await channel.person().post(event)).status_code == 200
    [stored] = await stored_events(channel.bot)
    assert stored.handled_at is not None
    assert channel.api.calls == []


async def test_a_citizens_words_are_not_logged(channel: Harness, caplog) -> None:
    for name in ("bot", "storage", "httpx", "starlette"):  # the drivers' own debug log aside
        caplog.set_level("DEBUG", logger=name)
    await channel.person().say("toi ten Nguyen Van Bi so 0912345678")
    assert "zalobot" in caplog.text  # something was logged
    assert "/bot***/sendMessage" in caplog.text  # httpx's request log, token masked
    assert TOKEN not in caplog.text
    assert "Nguyen Van Bi" not in caplog.text
    assert "0912345678" not in caplog.text


async def test_a_delivery_whose_worker_died_is_replayed(bot: Bot, clock: FakeClock) -> None:
    async with harness(bot) as channel:
        event = text_event("cach cai vneid", envelope=False)
        async with bot.sessions.begin() as session:
            await InboxRepository(session).receive(
                "zalobot", event["message"]["message_id"], event, clock()
            )
        clock.advance(minutes=2)
        worker = Worker(bot, [channel.runtime])
        assert await worker.replay_stalled() == 1
        await channel.runtime.drain()
        assert len(channel.api.sent(CHAT)) == 1
        [stored] = await stored_events(bot)
        assert stored.handled_at is not None
        assert await worker.replay_stalled() == 0


async def test_an_error_sends_no_apology_and_the_delivery_is_answered_on_replay(
    bot: Bot, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while the message is stored will be retried: asking the citizen to send it
    again would only make a duplicate, so the bot stays quiet and answers it later."""
    working = bot.answer

    async def broken(message: object, **options: object) -> int:
        raise RuntimeError("database went away")

    async with harness(bot) as channel:
        monkeypatch.setattr(bot, "answer", broken)
        response = await channel.person().post(text_event("cach cai vneid"))
        assert response.status_code == 200
        await channel.runtime.drain()
        assert channel.api.sent(CHAT) == []  # no "please send it again"
        [stored] = await stored_events(bot)
        assert stored.handled_at is None  # the worker loop will replay it
        monkeypatch.setattr(bot, "answer", working)
        clock.advance(minutes=2)
        assert (await Worker(bot, [channel.runtime]).tick())["replayed"] == 1
        await channel.runtime.drain()
        [answer] = channel.api.sent(CHAT)
        assert answer != bot.assistant.t("error_apology")
        assert "VNeID" in answer


async def test_polling_has_no_inbox_so_a_failure_is_apologised_for(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(message: object, **options: object) -> int:
        raise RuntimeError("database went away")

    async with harness(bot) as channel:
        monkeypatch.setattr(bot, "answer", broken)
        await channel.runtime._consume(text_event("cach cai vneid", envelope=False))
        assert channel.api.sent(CHAT) == [bot.assistant.t("error_apology")]


async def test_slow_answers_show_typing(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = bot.answer

    async def slow(message: IncomingMessage, **options: Any) -> Any:
        await asyncio.sleep(0.1)
        return await answer(message, **options)

    async with harness(bot, typing_after=0.01) as channel:
        monkeypatch.setattr(bot, "answer", slow)
        await channel.person().say("cach cai vneid")
        [typing] = channel.api.calls_to("sendChatAction")
        assert typing.body == {"chat_id": CHAT, "action": "typing"}
        assert [c.method for c in channel.api.calls] == ["sendChatAction", "sendMessage"]


async def test_replies_wait_in_the_outbox_while_the_platform_is_down(
    channel: Harness, clock: FakeClock
) -> None:
    channel.api.fail("sendMessage", httpx.ConnectError("down"))
    await channel.person().say("cach cai vneid")
    assert channel.api.sent(CHAT) == []
    async with channel.bot.sessions() as session:
        pending = await session.scalar(select(func.count()).where(OutboxRow.status == "pending"))
    assert pending == 1
    clock.advance(minutes=1)
    assert await channel.runtime.dispatcher.flush() == 1
    assert len(channel.api.sent(CHAT)) == 1
