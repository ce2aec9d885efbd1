"""People on Telegram: each builds updates from the recorded-shape samples in tests/data.

`say`, `press` and `share_contact` go through PTB's `Application.process_update`, exactly as
polling or the webhook would deliver them; `flush` plays the maintenance loop's part for
messages to other people.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update

from bot.channels.telegram.convert import to_incoming
from bot.channels.telegram.runtime import TelegramRuntime
from bot.inbound import to_record
from storage.inbox import InboxRepository
from tests.channels.telegram.fake_api import FakeBotAPI

DATA = Path(__file__).resolve().parents[2] / "data" / "telegram"
_update_ids = itertools.count(800_000_000)


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def for_chat(data: dict[str, Any], chat_id: int, update_id: int | None = None) -> dict[str, Any]:
    """A sample re-addressed to another person, with a fresh update id."""
    data = copy.deepcopy(data)
    data["update_id"] = next(_update_ids) if update_id is None else update_id
    for part in ("message", "callback_query", "my_chat_member"):
        body = data.get(part)
        if body is None:
            continue
        body["from"]["id"] = chat_id
        chat = body["message"]["chat"] if part == "callback_query" else body["chat"]
        chat["id"] = chat_id
        if part == "message" and body.get("contact"):
            body["contact"]["user_id"] = chat_id
    return data


@dataclass
class TelegramPerson:
    runtime: TelegramRuntime
    api: FakeBotAPI
    chat_id: int
    seen: int = 0
    keyboard: list[tuple[str, str]] = field(default_factory=list)

    async def deliver(self, data: dict[str, Any]) -> list[str]:
        """As the webhook does (minus HTTP): store the update, then process it."""
        update = Update.de_json(data, self.runtime.application.bot)
        if not self.runtime.polling:
            message = to_incoming(update)
            async with self.runtime.bot.sessions.begin() as session:
                await InboxRepository(session).receive(
                    "telegram",
                    str(update.update_id),
                    to_record(message) if message is not None else None,
                    self.runtime.bot.clock(),
                    chat=message.key.user_id if message is not None else None,
                )
        await self.runtime.application.process_update(update)
        await self.runtime.dispatcher.drain()  # the replies, sent in the background
        return self.new_texts()

    async def say(self, text: str) -> list[str]:
        data = for_chat(sample("text_message"), self.chat_id)
        data["message"]["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0])
            data["message"]["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
        return await self.deliver(data)

    async def press(self, title_part: str) -> list[str]:
        return await self.deliver(self.press_update(title_part))

    def press_update(self, title_part: str) -> dict[str, Any]:
        payload = next((p for t, p in self.keyboard if title_part in t), None)
        assert payload is not None, f"no button {title_part!r} in {[t for t, _ in self.keyboard]}"
        data = for_chat(sample("callback_query"), self.chat_id)
        data["callback_query"]["data"] = payload
        data["callback_query"]["id"] = str(data["update_id"])
        return data

    async def share_contact(self, phone: str) -> list[str]:
        data = for_chat(sample("contact_shared"), self.chat_id)
        data["message"]["contact"]["phone_number"] = phone
        return await self.deliver(data)

    async def flush(self) -> list[str]:
        """Deliver what others caused (the maintenance loop's job), then read it."""
        await self.runtime.dispatcher.flush()
        return self.new_texts()

    def new_texts(self) -> list[str]:
        calls = [
            c
            for c in self.api.calls
            if c.method in ("sendMessage", "editMessageText")
            and str(c.params.get("chat_id")) == str(self.chat_id)
        ]
        fresh = calls[self.seen :]
        self.seen = len(calls)
        for call in fresh:
            markup = call.params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                self.keyboard = [
                    (b["text"], b["callback_data"])
                    for row in markup["inline_keyboard"]
                    for b in row
                ]
        return [str(c.params["text"]) for c in fresh]
