"""Zalo Bot platform events in, core messages out: what an event means and its dedupe key.

Bots, group chats and events the bot does not read get no message (and a log-safe reason);
content other than text (a picture, a sticker, a voice note) becomes a message of kind
"other", which the core answers with what it can read. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.channels.payloads import ZALO_BOT_CHAT_ID
from bot.messages import Channel, ConversationKey, IncomingMessage

__all__ = [
    "ANSWERED_EVENTS",
    "CHANNEL",
    "TEXT_EVENT",
    "Inbound",
    "delivery_id",
    "to_incoming",
    "unwrap",
]

CHANNEL = Channel.ZALO_BOT.value
TEXT_EVENT = "message.text.received"
# Content the bot does not read (never downloaded): the core answers with what it can read.
# "unsupported" is what Zalo sends instead of the content for some protected senders.
OTHER_EVENTS = frozenset(
    {
        "message.image.received",
        "message.sticker.received",
        "message.voice.received",
        "message.unsupported.received",
    }
)
ANSWERED_EVENTS = frozenset({TEXT_EVENT, *OTHER_EVENTS})


@dataclass(frozen=True, slots=True)
class Inbound:
    """One platform event, understood: the message for the core, or why there is none."""

    external_id: str
    event_name: str
    message: IncomingMessage | None
    ignored: str = ""  # log-safe reason when `message` is None


def unwrap(data: Mapping[str, Any]) -> dict[str, Any]:
    """The event, whether Zalo wrapped it as `{"ok": true, "result": {...}}` or not."""
    result = data.get("result")
    if "event_name" not in data and isinstance(result, dict):
        return dict(result)
    return dict(data)


def _part(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def delivery_id(event: Mapping[str, Any]) -> str:
    """The dedupe key: the message id, or a digest of an event that has none."""
    message_id = _part(event, "message").get("message_id")
    if message_id not in (None, ""):
        return str(message_id)
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, default=str)
    return "event:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _sent_at(value: Any) -> datetime | None:
    """Zalo stamps messages in milliseconds since the epoch (seconds are accepted too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        stamp = float(value)
    except ValueError:
        return None
    if stamp > 1e11:
        stamp /= 1000
    try:
        return datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def to_incoming(event: Mapping[str, Any], now: datetime) -> Inbound:
    """Translate one event for the core; bots, groups and unknown events get no answer."""
    name = str(event.get("event_name") or "")
    external_id = delivery_id(event)
    if name != TEXT_EVENT and name not in OTHER_EVENTS:
        return Inbound(external_id, name, None, "unknown event")
    message = _part(event, "message")
    sender, chat = _part(message, "from"), _part(message, "chat")
    chat_id = chat.get("id")
    if not isinstance(chat_id, str) or not ZALO_BOT_CHAT_ID.fullmatch(chat_id):
        return Inbound(external_id, name, None, "no chat id")  # nothing could be sent to it
    if sender.get("is_bot") in (True, "true", "True", 1):
        return Inbound(external_id, name, None, "sent by a bot")
    if str(chat.get("chat_type") or "").upper() == "GROUP":
        return Inbound(external_id, name, None, "group chat")
    key = ConversationKey(CHANNEL, chat_id)
    received_at = _sent_at(message.get("date")) or now
    text = message.get("text")
    if name == TEXT_EVENT and isinstance(text, str) and text.strip():
        incoming = IncomingMessage(key, text=text, message_id=external_id, received_at=received_at)
    else:
        incoming = IncomingMessage(
            key, kind="other", message_id=external_id, received_at=received_at
        )
    return Inbound(external_id, name, incoming)
