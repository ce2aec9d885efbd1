"""The message types shared by the dialogue core and every channel adapter.

Adapters translate a platform update into one `IncomingMessage` and send the `Reply` objects
the core returns; nothing here knows Telegram, Zalo or a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

__all__ = [
    "SHARE_CONTACT",
    "Attachment",
    "Button",
    "Channel",
    "ConversationKey",
    "IncomingMessage",
    "Reply",
    "plain_buttons",
]


class Channel(StrEnum):
    """Where a conversation happens."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    ZALO = "zalo"  # a Zalo Official Account
    ZALO_BOT = "zalobot"  # the Zalo Bot platform (its user ids differ from the OA's)


_CONTROL = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]
)  # keeps tab, line feed, carriage return


def clean_text(text: str) -> str:
    """Text any database stores: no NUL or control characters, lone surrogates replaced."""
    if text.isprintable():
        return text
    cleaned = text.translate(_CONTROL)
    return (
        cleaned.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(cleaned) else cleaned
    )


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """One person on one channel: the unit whose conversation state is kept."""

    channel: str
    user_id: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """What a citizen sent: text they typed, a button they pressed, or something else.

    `kind="other"` covers photos, stickers, voice and files: the core answers politely with
    what it can read and never looks at the content. `kind="location"` carries a shared
    position, used once to suggest the commune and never stored. `kind="left"` says the
    person unfollowed or blocked the bot: their open request is stopped and nobody answers.
    """

    key: ConversationKey
    text: str | None = None
    payload: str | None = None
    kind: Literal["text", "button", "other", "location", "left"] = "text"
    message_id: str | None = None
    received_at: datetime | None = None
    contact_phone: str | None = None  # a phone number the person chose to share (consent)
    location: tuple[float, float] | None = None  # (latitude, longitude)

    def __post_init__(self) -> None:
        # Cleaned at the edge, whatever the channel: a NUL or a lone surrogate cannot be stored
        # (PostgreSQL refuses them), so a message carrying one would fail every retry.
        for name in ("text", "payload"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, clean_text(value))


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered under a reply; pressing it sends `payload` back (at most 64 bytes).

    The payload `SHARE_CONTACT` asks the channel for its "share my phone number" button
    (Telegram); channels without one leave the button out and the person types the number.
    """

    title: str
    payload: str


SHARE_CONTACT = "@contact"


def plain_buttons(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
    """The buttons a channel without a "share my phone number" button can show."""
    return tuple(button for button in buttons if button.payload != SHARE_CONTACT)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply (a report for a team leader)."""

    filename: str
    data: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the bot sends: text plus optional buttons; `intent` is kept for logs.

    `edit_of` names an earlier outgoing message (by the outbox id the adapter recorded) that
    this reply replaces, such as a claim button that became "already taken".
    """

    text: str
    buttons: tuple[Button, ...] = field(default=())
    intent: str | None = None
    attachment: Attachment | None = None
    edit_of: str | None = None
    # Where choices are typed numbers: the number of this reply's first choice, when the
    # answer it belongs to decides it (its first reply starts at 1, the next ones continue).
    menu_from: int | None = None
