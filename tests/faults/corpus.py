"""Building blocks of the bad-input corpus: valid platform events, and edits of them.

Every bad body is a recorded-shape event with one thing changed, so each case tests exactly
one defect. Bodies are built once, at import: the same bytes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tests.channels.telegram.harness import sample as telegram_sample
from tests.channels.zalo_bot import text_event
from tests.channels.zalo_oa.conftest import APP_ID
from tests.channels.zalo_oa.conftest import sample as zalo_sample
from tests.support.conftest import START

__all__ = [
    "DROP",
    "QUESTION",
    "Answer",
    "Case",
    "Exit",
    "Http",
    "ImportFile",
    "Post",
    "Say",
    "Target",
    "Who",
    "deep",
    "encode",
    "extra",
    "oa",
    "tg",
    "valid_event",
    "zb",
]

QUESTION = "cach cai vneid"
TELEGRAM_CHAT = 5550001
ZALOBOT_CHAT = "6ede9afa66b88fe6d6a9"
ZALO_USER = "2468458835296197922"
DROP = object()  # an edit that removes the field
Target = Literal["telegram", "zalobot", "zalo", "cli", "chat"]
Who = Literal["citizen", "volunteer", "leader", "rater", "counting"]


# --- What goes in, what must come out --------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One webhook delivery: the raw body, signed or with the secret unless `authentic` is off."""

    body: bytes
    authentic: bool = True
    content_type: str = "application/json"
    twice: bool = False  # the platform delivers it again


@dataclass(frozen=True)
class Http:
    """The status the platform gets; `answered`: the citizen got a reply (True) or nobody got
    anything (False); None when either is right."""

    status: int
    answered: bool | None = None


@dataclass(frozen=True)
class ImportFile:
    """`trolyso fieldlog import <name>` of these bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Exit:
    """The exit code, words the report must contain, and rows it may add."""

    code: int
    words: tuple[str, ...]
    imported: int = 0


@dataclass(frozen=True)
class Say:
    """A chat message (or a pressed button's payload; "{ref}" is a closed request's ref)."""

    who: Who  # rater: a citizen whose request was closed; counting: a volunteer logging work
    text: str | None = None
    payload: str | None = None


@dataclass(frozen=True)
class Answer:
    """Words the polite Vietnamese answer must contain."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """One kind of bad input, where it goes, and what must happen."""

    id: str
    target: Target
    input: Post | ImportFile | Say
    expected: Http | Exit | Answer


# --- Bodies ----------------------------------------------------------------------------------


def encode(data: Any) -> bytes:
    """JSON as a careless sender writes it: NaN and Infinity literals, \\u escapes."""
    return json.dumps(data).encode()


def edited(data: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with dotted paths set (or removed with DROP); missing parents are created."""
    data = copy.deepcopy(data)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is DROP:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def extra(body: bytes, raw: bytes) -> bytes:
    """The event with one more field whose value is `raw`, written as is."""
    return body[:-1] + b', "extra": ' + raw + b"}"


def deep(body: bytes, depth: int) -> bytes:
    """The event with an extra field nested `depth` arrays deep."""
    return extra(body, b"[" * depth + b"]" * depth)


def telegram_update(text: str = QUESTION, chat: int = TELEGRAM_CHAT) -> dict[str, Any]:
    data = copy.deepcopy(telegram_sample("text_message"))
    data["update_id"] = 700_000_001 + chat % 1000
    for part in ("from", "chat"):
        data["message"][part]["id"] = chat
    data["message"]["text"] = text
    return data


def zalobot_event(text: str = QUESTION, chat: str = ZALOBOT_CHAT) -> dict[str, Any]:
    return text_event(text, chat, message_id=f"m-{chat}")


def zalo_event(text: str = QUESTION, user: str = ZALO_USER) -> dict[str, Any]:
    data = copy.deepcopy(zalo_sample("user_send_text"))
    data["app_id"] = APP_ID
    data["timestamp"] = str(int(START.timestamp() * 1000))
    data["sender"]["id"] = user
    data["message"] = {"text": text, "msg_id": f"msg-{user}"}
    return data


def tg(changes: Mapping[str, Any] | None = None, **fields: Any) -> bytes:
    """A Telegram text update with these dotted paths changed."""
    return encode(edited(telegram_update(), {**(changes or {}), **fields}))


def zb(changes: Mapping[str, Any] | None = None) -> bytes:
    """A Zalo Bot text event (in its {"ok", "result"} envelope) with paths changed."""
    return encode(edited(zalobot_event(), changes or {}))


def oa(changes: Mapping[str, Any] | None = None) -> bytes:
    """A Zalo OA user_send_text event with paths changed (signed when posted)."""
    return encode(edited(zalo_event(), changes or {}))


def valid_event(channel: str, chat: str, text: str = QUESTION) -> bytes:
    """A well-formed text message from another chat (is the channel still working?)."""
    if channel == "telegram":
        return encode(telegram_update(text, int(chat)))
    if channel == "zalobot":
        return encode(zalobot_event(text, chat))
    return encode(zalo_event(text, chat))
