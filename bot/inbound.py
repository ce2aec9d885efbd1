"""What the inbox keeps of a webhook delivery: the translated message, masked, nothing else.

A platform's raw update carries far more than the bot uses (names, avatars, the full text with
whatever ID or OTP the citizen typed). The inbox only needs enough to process the message again
if its worker dies, so it stores this record: the core's `IncomingMessage` with its text masked
(Law 91/2025: personal data is masked before anything is stored). The record is dropped once the
message is handled, and deleted with the citizen's `/xoadulieu`.

A replay therefore answers the masked text. That is a rare path (a crash, an outage) and the
masked words still carry the question.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.messages import ConversationKey, IncomingMessage
from storage.masking import mask

__all__ = ["RECORD_VERSION", "from_record", "is_record", "stored_message", "to_record"]

RECORD_VERSION = 1
_KINDS = frozenset({"text", "button", "other", "location", "left"})


def to_record(message: IncomingMessage) -> dict[str, Any]:
    """The stored form of `message`: masked text, the fields a replay needs."""
    record: dict[str, Any] = {
        "v": RECORD_VERSION,
        "channel": message.key.channel,
        "chat": message.key.user_id,
        "kind": message.kind,
    }
    if message.text is not None:
        record["text"] = mask(message.text).text
    if message.payload is not None:
        record["payload"] = message.payload
    if message.message_id is not None:
        record["message_id"] = message.message_id
    if message.received_at is not None:
        record["received_at"] = message.received_at.isoformat()
    if message.contact_phone is not None:  # shared by the person for a call back (consent)
        record["contact_phone"] = message.contact_phone
    if message.location is not None:
        record["location"] = list(message.location)
    return record


def is_record(data: Any) -> bool:
    """True for a record written by `to_record` (older rows hold the platform's raw update)."""
    return isinstance(data, dict) and data.get("v") == RECORD_VERSION


def stored_message(
    payload: dict[str, Any], legacy: Callable[[dict[str, Any]], IncomingMessage | None]
) -> IncomingMessage | None:
    """The message an inbox row holds, for the inbox processor: from its record, or from the
    platform's own update in a row stored before records (`legacy` translates it; None when
    that update needs no answer). A damaged record raises ValueError: the row is retried,
    then given up with an apology."""
    if not is_record(payload):
        return legacy(payload)
    message = from_record(payload)
    if message is None:
        raise ValueError("stored record unreadable")
    return message


def from_record(data: dict[str, Any]) -> IncomingMessage | None:
    """The message a record describes; None when the record is damaged (it is settled)."""
    try:
        kind = data["kind"]
        if kind not in _KINDS:
            return None
        received = data.get("received_at")
        location = data.get("location")
        return IncomingMessage(
            ConversationKey(str(data["channel"]), str(data["chat"])),
            text=_optional_str(data.get("text")),
            payload=_optional_str(data.get("payload")),
            kind=kind,
            message_id=_optional_str(data.get("message_id")),
            received_at=datetime.fromisoformat(received) if isinstance(received, str) else None,
            contact_phone=_optional_str(data.get("contact_phone")),
            location=(float(location[0]), float(location[1])) if location else None,
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
