"""Platform payloads checked at the edge, before anything is stored or processed.

Every webhook reads its body with `load_object`: UTF-8 JSON, a top-level object, nested at
most `MAX_DEPTH` deep (counted before parsing, so ten thousand brackets cost no recursion),
with no NaN or Infinity (PostgreSQL's JSON type refuses them, so such a body stored nothing
and answered 500) and strings cleaned of NUL and lone surrogates. Then a typed model of exactly
the fields the channel uses is checked: a wrong type there is a malformed delivery (400,
nothing stored), while fields nobody reads and event kinds the bot does not act on pass
through and are ignored politely. A chat id that cannot be sent to never gets past here, so
it can never reach the outbox and be retried forever.

`PayloadError` messages name a field and what is wrong with it, never the value: they are
logged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from itertools import accumulate
from typing import Annotated, Any, NoReturn, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from bot.messages import clean_text
from bot.payloads import MAX_PAYLOAD_BYTES

__all__ = [
    "MAX_DEPTH",
    "TELEGRAM_CHAT_ID",
    "ZALO_BOT_CHAT_ID",
    "ZALO_USER_ID",
    "PayloadError",
    "check_telegram",
    "check_zalo_oa",
    "check_zalobot",
    "load_object",
]

MAX_DEPTH = 32  # platform events nest five or six levels
MAX_ID = 2**53  # Telegram: "at most 52 significant bits"
TELEGRAM_CHAT_ID = re.compile(r"-?[1-9][0-9]{0,15}")
ZALO_BOT_CHAT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # hex in practice
ZALO_USER_ID = re.compile(r"[0-9]{1,32}")
# Depth is counted on the body's brackets once escapes and strings are taken out; every step
# is a regular expression without backtracking or a C loop, so a megabyte takes milliseconds.
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# Control characters and surrogates reach a JSON string only as \u escapes.
_UNCLEAN = re.compile(r"\\u(?:00[01]|007f|d[89a-f])", re.IGNORECASE)

M = TypeVar("M", bound=BaseModel)


class PayloadError(ValueError):
    """Why a delivery was refused: a field and what is wrong with it, never its value."""


# --- Safe JSON -------------------------------------------------------------------------------


def _no_constant(name: str) -> NoReturn:
    raise PayloadError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 overflows to infinity
        raise PayloadError("a number is too large")
    return number


def _depth(text: str) -> int:
    """How deeply the JSON text nests (exact for valid JSON; anything for invalid JSON)."""
    structure = _STRING.sub("", _ESCAPE.sub("", text))
    brackets = _NOT_BRACKET.sub("", structure)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _cleaned(value: Any) -> Any:
    """The parsed value with NUL, control characters and lone surrogates removed from strings
    (keys included): no database refuses them later and they mean nothing here."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _cleaned(item) for key, item in value.items()}
    return value


def load_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; `PayloadError` for anything else (the caller answers 400).

    The size is capped by each route before this is called; recursion in `_cleaned` is safe
    because the depth was checked first.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8") from None
    if _depth(text) > MAX_DEPTH:
        raise PayloadError(f"the body is nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except PayloadError:
        raise
    except (ValueError, RecursionError):  # malformed, a BOM, a number of 5,000 digits
        raise PayloadError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise PayloadError(f"the body is a JSON {type(data).__name__}, not an object")
    return dict(_cleaned(data)) if _UNCLEAN.search(text) else data


def _check(model: type[M], data: Any, where: str = "") -> M:
    """Validate; the first problem becomes a log-safe `PayloadError` naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        path = ".".join(str(part) for part in (where, *first["loc"]) if part != "")
        raise PayloadError(f"{path or 'the body'}: {first['msg']}") from None


# --- Shared field types ----------------------------------------------------------------------


class _Model(BaseModel):
    """Strict types (no "1" for 1, no 1.0 for 1), unknown fields accepted and left alone."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)


def _fits_button(data: str) -> str:
    if len(data.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"longer than {MAX_PAYLOAD_BYTES} bytes")
    return data


def _truth(value: Any) -> bool:
    """Zalo's is_bot: a boolean, sometimes spelled as a string or 0/1."""
    spelled = {"true": True, "false": False, "1": True, "0": False}
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).lower() in spelled:
        return spelled[str(value).lower()]
    raise ValueError("not a boolean")


def _zalo_user(value: Any) -> str:
    """An OA-scoped user id: digits, sometimes sent as a number."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if isinstance(value, str) and ZALO_USER_ID.fullmatch(value):
        return value
    raise ValueError("not a Zalo user id")


def _stamp(value: Any) -> Any:
    """A time stamp: a finite number, or digits in a string."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("not a time stamp")
    if isinstance(value, str) and not value.strip().isdecimal():
        raise ValueError("not a time stamp")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a time stamp")
    return value


Id = Annotated[int, Field(gt=-MAX_ID, lt=MAX_ID)]
UnixTime = Annotated[int, Field(ge=0, lt=2**33)]
Degrees = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
ButtonData = Annotated[str, AfterValidator(_fits_button)]
Truth = Annotated[bool, BeforeValidator(_truth)]
ZaloUser = Annotated[str, BeforeValidator(_zalo_user)]
Stamp = Annotated[int | float | str, BeforeValidator(_stamp)]
MessageId = str | Annotated[int, Field(ge=0)]
ZaloBotChat = Annotated[str, StringConstraints(pattern=f"^{ZALO_BOT_CHAT_ID.pattern}$")]


# --- Telegram --------------------------------------------------------------------------------


class _TelegramUser(_Model):
    id: Id


class _TelegramChat(_Model):
    id: Id
    type: ShortText

    @model_validator(mode="after")
    def _private_is_a_person(self) -> _TelegramChat:
        if self.type == "private" and self.id <= 0:  # private chats are users: positive ids
            raise ValueError("a private chat has a positive id")
        return self


class _Contact(_Model):
    phone_number: Annotated[str, StringConstraints(max_length=64)]
    user_id: Id | None = None


class _Location(_Model):
    latitude: Annotated[Degrees, Field(ge=-90, le=90)]
    longitude: Degrees


class _TelegramMessage(_Model):
    message_id: Id
    date: UnixTime
    chat: _TelegramChat
    sender: _TelegramUser | None = Field(default=None, alias="from")
    text: str | None = None
    contact: _Contact | None = None
    location: _Location | None = None


class _CallbackQuery(_Model):
    id: ShortText
    sender: _TelegramUser = Field(alias="from")
    message: _TelegramMessage | None = None
    data: ButtonData | None = None


class _ChatMember(_Model):
    status: ShortText
    user: _TelegramUser


class _ChatMemberUpdated(_Model):
    chat: _TelegramChat
    sender: _TelegramUser = Field(alias="from")
    date: UnixTime
    old_chat_member: _ChatMember
    new_chat_member: _ChatMember


class _TelegramUpdate(_Model):
    update_id: Annotated[int, Field(ge=0, lt=MAX_ID)]
    message: _TelegramMessage | None = None
    callback_query: _CallbackQuery | None = None
    my_chat_member: _ChatMemberUpdated | None = None


def check_telegram(data: Mapping[str, Any]) -> None:
    """The parts of an update the bot reads (message, button press, block); other kinds pass."""
    _check(_TelegramUpdate, data)


# --- Zalo Bot --------------------------------------------------------------------------------


class _ZaloBotChat(_Model):
    id: ZaloBotChat
    chat_type: ShortText | None = None


class _ZaloBotSender(_Model):
    id: ShortText | None = None
    is_bot: Truth | None = None


class _ZaloBotMessage(_Model):
    chat: _ZaloBotChat
    sender: _ZaloBotSender | None = Field(default=None, alias="from")
    text: str | None = None
    message_id: MessageId | None = None
    date: Stamp | None = None


class _ZaloBotEvent(_Model):
    event_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


def check_zalobot(event: Mapping[str, Any], *, answered: Collection[str], text_event: str) -> None:
    """An event name always; for the events the bot answers, the message it reads."""
    name = _check(_ZaloBotEvent, event).event_name
    if name not in answered:
        return  # acknowledged and ignored
    message = _check(_ZaloBotMessage, event.get("message"), "message")
    if name == text_event and message.text is None:
        raise PayloadError("message.text: missing in a text message")


# --- Zalo OA ---------------------------------------------------------------------------------


class _ZaloParty(_Model):
    id: ZaloUser


class _ZaloMessage(_Model):
    text: str | None = None
    msg_id: MessageId | None = None
    message_id: MessageId | None = None


class _ZaloEvent(_Model):
    event_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    sender: _ZaloParty | None = None
    follower: _ZaloParty | None = None
    message: _ZaloMessage | None = None


def check_zalo_oa(
    payload: Mapping[str, Any], *, answered: Collection[str], text_event: str
) -> None:
    """Ids and text the bot reads; the events it answers must name the person they are from."""
    event = _check(_ZaloEvent, payload)
    if event.event_name not in answered:
        return
    if event.sender is None and event.follower is None:
        raise PayloadError("sender.id: missing")
    if event.event_name == text_event and (event.message is None or event.message.text is None):
        raise PayloadError("message.text: missing in a text message")
