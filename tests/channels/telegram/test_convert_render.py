"""Updates to incoming messages, and replies to Telegram messages: pure functions."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot as TelegramBot
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, Update

from bot.channels.telegram.app import PerChatUpdateProcessor
from bot.channels.telegram.convert import to_incoming
from bot.channels.telegram.render import MAX_TEXT, keyboard, to_html
from bot.channels.text import split_text
from bot.messages import SHARE_CONTACT, Button
from tests.channels.telegram.harness import for_chat, sample

TG = TelegramBot("123:TEST")


def update(name: str, chat: int = 5550001) -> Update:
    return Update.de_json(for_chat(sample(name), chat, update_id=42), TG)


def test_text_and_deep_links_become_text_with_the_update_id():
    message = to_incoming(update("command_start_deeplink"))
    assert message is not None
    assert (message.key.channel, message.key.user_id) == ("telegram", "5550001")
    assert (message.text, message.kind, message.message_id) == ("/start xa23764", "text", "42")


def test_a_callback_query_is_a_button_press():
    message = to_incoming(update("callback_query"))
    assert message is not None
    assert (message.kind, message.payload) == ("button", "m")


def test_only_the_persons_own_contact_counts_as_consented_phone():
    own = to_incoming(update("contact_shared"))
    assert own is not None
    assert own.contact_phone == "+84912345678"
    data = for_chat(sample("contact_shared"), 5550001)
    data["message"]["contact"]["user_id"] = 777  # someone else's card, forwarded
    other = to_incoming(Update.de_json(data, TG))
    assert other is not None
    assert other.contact_phone is None
    assert other.kind == "other"


def test_location_photo_block_and_groups():
    located = to_incoming(update("location"))
    assert located is not None
    assert located.kind == "location"
    assert located.location == pytest.approx((13.9833, 108.0))
    photo = to_incoming(update("photo"))
    assert photo is not None
    assert photo.kind == "other"
    assert photo.text is None
    blocked = to_incoming(update("my_chat_member_blocked"))
    assert blocked is not None
    assert blocked.kind == "left"
    assert to_incoming(Update.de_json(sample("group_message"), TG)) is None


def test_html_is_escaped():
    assert to_html("a <b>bold</b> & co") == "a &lt;b&gt;bold&lt;/b&gt; &amp; co"


def test_long_texts_split_at_paragraphs_within_the_limit():
    paragraphs = [f"Đoạn {i}: " + "chữ " * 150 for i in range(12)]  # ~7,300 characters
    text = "\n\n".join(paragraphs)
    parts = split_text(text, MAX_TEXT)
    assert len(parts) == 2
    assert all(len(p) <= 4096 for p in parts)
    assert parts[1].startswith("Đoạn ")  # cut between paragraphs
    assert "".join(p.replace("\n", "") for p in parts).replace(" ", "") == text.replace(
        "\n", ""
    ).replace(" ", "")


def test_the_limit_counts_characters_as_written_not_as_escaped():
    text = "<>" * 3000  # 6,000 characters, 24,000 once escaped: Telegram counts 6,000
    parts = split_text(text, MAX_TEXT)
    assert [len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


def test_keyboards():
    markup = keyboard((Button("Dịch vụ công trực tuyến", "t:dvc"), Button("1", "r:x:1")))
    assert isinstance(markup, InlineKeyboardMarkup)
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["t:dvc"],
        ["r:x:1"],
    ]
    stars = keyboard(tuple(Button(str(n), f"r:x:{n}") for n in range(1, 6)))
    assert isinstance(stars, InlineKeyboardMarkup)
    assert len(stars.inline_keyboard) == 1
    share = keyboard((Button("📱 Gửi số", SHARE_CONTACT), Button("Bỏ qua", "k:phone:skip")))
    assert isinstance(share, ReplyKeyboardMarkup)
    assert share.keyboard[0][0].request_contact is True
    assert keyboard(()) is None


async def test_one_chat_stays_in_order_while_others_run_alongside():
    processor = PerChatUpdateProcessor(8)
    order: list[str] = []
    gate = asyncio.Event()
    chat2_done = asyncio.Event()

    async def job(name: str, wait: bool) -> None:
        if wait:
            await gate.wait()
        order.append(name)
        if name == "chat2":
            chat2_done.set()

    first = update("text_message", chat=1)
    second = update("text_message", chat=1)
    other = update("text_message", chat=2)
    tasks = [
        asyncio.create_task(processor.process_update(first, job("chat1-first", True))),
        asyncio.create_task(processor.process_update(second, job("chat1-second", False))),
        asyncio.create_task(processor.process_update(other, job("chat2", False))),
    ]
    # Chat 2 finishes while chat 1's first update is still held at the gate.
    await asyncio.wait_for(chat2_done.wait(), 30)
    assert order == ["chat2"]  # chat 2 did not wait; chat 1's second waits for its first
    gate.set()
    await asyncio.gather(*tasks)
    assert order == ["chat2", "chat1-first", "chat1-second"]
