"""Zalo OA webhook events in, core messages out: who an event is about and its dedupe key.

Only events from a person the OA can answer become messages: the OA's own echoes
(`oa_send_*`) and delivery receipts do not. A tapped button arrives as the text the OA sent
with it and is read back as the button's payload (render.py); anything the bot cannot read
(a picture, a sticker, a file) becomes a message of kind "other".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.channels.payloads import ZALO_USER_ID
from bot.channels.zalo_oa.render import parse_button_text
from bot.channels.zalo_oa.signature import event_time
from bot.messages import Channel, ConversationKey, IncomingMessage

__all__ = [
    "ANSWERED_EVENTS",
    "CHANNEL",
    "STATUS_EVENTS",
    "delivery_key",
    "event_name",
    "to_incoming",
    "user_of",
]

CHANNEL = Channel.ZALO.value
# Things a person sent that the bot cannot read: the core answers with what it can.
UNREADABLE_EVENTS = frozenset(
    {
        "user_send_image",
        "user_send_sticker",
        "user_send_file",
        "user_send_gif",
        "user_send_audio",
        "user_send_video",
        "user_send_link",
        "user_send_business_card",
    }
)
# The events answered; the others are acknowledged and settled.
ANSWERED_EVENTS = frozenset(
    {"user_send_text", "follow", "unfollow", "user_send_location", *UNREADABLE_EVENTS}
)
# Status events: nothing to answer.
STATUS_EVENTS = frozenset({"user_received_message", "user_seen_message"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value) if value is not None else ""


def _id_of(payload: Mapping[str, Any], field: str) -> str:
    party = payload.get(field)
    return _text(party.get("id")) if isinstance(party, Mapping) else ""


def event_name(payload: Mapping[str, Any]) -> str:
    """The event name, reduced to the characters Zalo uses (it is logged before checks)."""
    return _UNSAFE.sub("", _text(payload.get("event_name")))[:60]


def user_of(payload: Mapping[str, Any]) -> str:
    """The OA-scoped id of the person an event is about ("" if there is none)."""
    return _id_of(payload, "follower") or _id_of(payload, "sender")


def delivery_key(payload: Mapping[str, Any]) -> str:
    """The dedupe key: the message id, else event name, person and timestamp."""
    message = payload.get("message")
    if isinstance(message, Mapping):
        for field in ("msg_id", "message_id"):
            found = _text(message.get(field))
            if found:
                return found
    return f"{event_name(payload)}:{user_of(payload)}:{_text(payload.get('timestamp'))}"


def _coordinate(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) <= 180 else None  # NaN, nonsense


def _location(message: Mapping[str, Any]) -> tuple[float, float] | None:
    """(latitude, longitude) from attachments[0].payload.coordinates, tolerantly."""
    attachments = message.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return None
    first = attachments[0]
    payload = first.get("payload") if isinstance(first, Mapping) else None
    coordinates = payload.get("coordinates") if isinstance(payload, Mapping) else None
    if not isinstance(coordinates, Mapping):
        return None
    latitude = _coordinate(coordinates.get("latitude"))
    longitude = _coordinate(coordinates.get("longitude"))
    if latitude is None or longitude is None or abs(latitude) > 90:
        return None
    return latitude, longitude


def to_incoming(payload: Mapping[str, Any], key: str) -> IncomingMessage | None:
    """The core message an event stands for; None for events that need no answer.

    `key` becomes the message id, so the core settles the inbox row in its own transaction.
    """
    name = event_name(payload)
    user = user_of(payload)
    if not ZALO_USER_ID.fullmatch(user) or name.startswith("oa_send_") or name in STATUS_EVENTS:
        return None  # no person the bot could answer
    conversation = ConversationKey(CHANNEL, user)
    received_at = event_time(payload)
    message = payload.get("message")
    body = message if isinstance(message, Mapping) else {}

    def incoming(**fields: Any) -> IncomingMessage:
        return IncomingMessage(conversation, message_id=key, received_at=received_at, **fields)

    if name == "user_send_text":
        text = body.get("text")
        text = text if isinstance(text, str) else ""
        tapped = parse_button_text(text)
        if tapped is not None:
            return incoming(payload=tapped, kind="button")
        return incoming(text=text)
    if name == "follow":
        return incoming(text="/start")  # the welcome and the main menu
    if name == "unfollow":
        return incoming(kind="left")
    if name == "user_send_location":
        position = _location(body)
        if position is None:
            return incoming(kind="other")
        return incoming(kind="location", location=position)
    if name in UNREADABLE_EVENTS:
        return incoming(kind="other")
    return None
