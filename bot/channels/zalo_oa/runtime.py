"""The Zalo Official Account channel: the signed webhook in, customer-service messages out.

A delivery is verified, stored in the inbox and committed before the 200 goes back, well
inside Zalo's 2-second budget; the core handles it afterwards, one chat at a time, and the
replies leave through the outbox dispatcher. A redelivered event finds its inbox row and is
acknowledged without being handled twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import ChatQueue
from bot.channels.payloads import ZALO_USER_ID, PayloadError, check_zalo_oa
from bot.channels.webhook import Delivery, Webhook, json_answers
from bot.channels.zalo_oa.client import (
    BLOCKED_CODES,
    INVALID_TOKEN_CODES,
    PERMANENT_CODES,
    QUOTA_CODES,
    RATE_LIMIT_CODES,
    WINDOW_CODES,
    OAClient,
    ZaloApiError,
    ZaloError,
    ZaloUnavailable,
)
from bot.channels.zalo_oa.render import OARenderer, parse_button_text
from bot.channels.zalo_oa.signature import REPLAY_WINDOW, check_signature, event_time
from bot.channels.zalo_oa.tokens import TokenKeeper, TokenUnavailable
from bot.delivery import Dispatcher, Sender, SendError
from bot.inbound import from_record, is_record
from bot.messages import Channel, ConversationKey, IncomingMessage, Reply
from bot.services import Bot
from bot.settings import Settings

__all__ = [
    "MAX_BODY_BYTES",
    "WEBHOOK_PATH",
    "ZaloOARuntime",
    "ZaloOASender",
    "build_zalo_oa",
    "delivery_key",
    "send_error",
    "to_incoming",
]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_BODY_BYTES = 256 * 1024  # events are small JSON; anything bigger is not Zalo
CHANNEL = Channel.ZALO.value
RATE_LIMIT_WAIT = 60.0  # seconds; Zalo's limits are per minute
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


# --- Events ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value) if value is not None else ""


def _id_of(payload: Mapping[str, Any], field: str) -> str:
    party = payload.get(field)
    return _text(party.get("id")) if isinstance(party, Mapping) else ""


def _event_name(payload: Mapping[str, Any]) -> str:
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
    return f"{_event_name(payload)}:{user_of(payload)}:{_text(payload.get('timestamp'))}"


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
    name = _event_name(payload)
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


# --- Sending --------------------------------------------------------------------------------


def send_error(error: ZaloError) -> SendError:
    """What the dispatcher should do after Zalo refused or could not be reached."""
    if isinstance(error, ZaloUnavailable):
        return SendError(error.reason, retry_after=error.retry_after)
    code = error.code
    if code in WINDOW_CODES:
        return SendError(error.reason, final=True, kind="window")
    if code in QUOTA_CODES:
        return SendError(error.reason, final=True, kind="quota")
    if code in BLOCKED_CODES:
        return SendError(error.reason, final=True, kind="blocked")
    if code in RATE_LIMIT_CODES:
        return SendError(error.reason, retry_after=RATE_LIMIT_WAIT)
    if code in PERMANENT_CODES:
        return SendError(error.reason, final=True)
    # Configuration problems and unknown codes: retried, then given up by the dispatcher.
    return SendError(error.reason)


class ZaloOASender:
    """Delivers replies as customer-service messages; Zalo cannot edit, so edits are new.

    A long reply is several messages; if one of them fails, the dispatcher retries the
    whole reply, and the pieces already delivered arrive again (Zalo sends are not
    idempotent, and losing the rest would be worse).
    """

    channel = CHANNEL

    def __init__(self, client: OAClient, tokens: TokenKeeper, renderer: OARenderer) -> None:
        self.client = client
        self.tokens = tokens
        self.renderer = renderer

    async def send(self, external_id: str, reply: Reply) -> str | None:
        message_id: str | None = None
        for message in self.renderer.render(reply):
            message_id = await self._send_one(external_id, message) or message_id
        return message_id

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        return await self.send(external_id, reply)

    async def _send_one(self, user_id: str, message: dict[str, Any]) -> str:
        try:
            token = await self.tokens.access_token()
            try:
                return await self.client.send_cs_message(token, user_id, message)
            except ZaloApiError as error:
                if error.code not in INVALID_TOKEN_CODES:
                    raise
                logger.warning("zalo oa: access token rejected (%s); renewing", error.reason)
                token = await self.tokens.refresh_after_rejection(token)
                return await self.client.send_cs_message(token, user_id, message)
        except TokenUnavailable as error:
            reason = f"no access token: {error.reason}"
            raise SendError(reason, retry_after=error.retry_after) from error
        except ZaloError as error:
            logger.warning("zalo oa: send refused: %s", error.reason)
            raise send_error(error) from error


# --- The runtime ----------------------------------------------------------------------------


class ZaloOARuntime:
    """The webhook route, background handling in chat order, and the outbox dispatcher."""

    name = CHANNEL

    def __init__(
        self,
        bot: Bot,
        sender: Sender,
        oa_secret_key: str,
        *,
        app_id: str,
        client: OAClient | None = None,
        path: str = WEBHOOK_PATH,
        max_body: int = MAX_BODY_BYTES,
        replay_window: timedelta = REPLAY_WINDOW,
    ) -> None:
        if not oa_secret_key:
            raise ValueError("the Zalo OA secret key is needed to verify webhook deliveries")
        self.bot = bot
        self.sender = sender
        self.dispatcher: Dispatcher = bot.dispatcher(sender)
        self.client = client
        self.path = path
        self.max_body = max_body
        self.replay_window = replay_window
        self._secret = oa_secret_key
        self._app_id = app_id
        self.queue = ChatQueue()
        self._webhook = Webhook(
            bot,
            CHANNEL,
            "zalo oa",
            max_body,
            json_answers,
            self._parse,
            self._accepted,
            verify=self._verify,
        )

    def routes(self) -> Sequence[BaseRoute]:
        return [Route(self.path, self.webhook, methods=["POST"])]

    @property
    def ready(self) -> bool:
        """Nothing to connect at start-up: a failing send is retried from the outbox."""
        return True

    async def start(self) -> None:
        """Nothing to open: the HTTP client connects on first use."""

    async def stop(self) -> None:
        await self.drain()
        if self.client is not None:
            await self.client.aclose()

    async def drain(self) -> None:
        """Wait until every accepted delivery was handled and its replies sent (or failed)."""
        await self.queue.drain()
        await self.dispatcher.drain()

    async def replay(self, payload: dict[str, Any]) -> None:
        """A stored delivery whose processing never finished: processed from its record."""
        if not is_record(payload):  # a row stored before records: the platform's own event
            key = delivery_key(payload)
            legacy = to_incoming(payload, key)
            if legacy is None:
                await self.bot.settle_delivery(CHANNEL, key)
                return
            message: IncomingMessage | None = legacy
        else:
            message = from_record(payload)
        if message is None:  # damaged: left for the give-up round, which settles it
            logger.warning("zalo oa: stored record unreadable")
            return
        incoming = message
        # Queued, not awaited: the maintenance loop must not wait in line behind live
        # traffic. A replay of a message still queued here changes nothing (it is settled).
        self.queue.submit(incoming.key.user_id, lambda: self._process(incoming))

    async def webhook(self, request: Request) -> Response:
        """Verify, store, commit, answer 200 (see bot/channels/webhook.py); handled afterwards."""
        return await self._webhook.handle(request)

    def _verify(
        self, headers: Headers, body: bytes, payload: Mapping[str, Any], now: datetime
    ) -> str | None:
        """What is wrong with the signature (for the log), or None when Zalo signed it."""
        problem = check_signature(
            headers.get(SIGNATURE_HEADER),
            body,
            payload,
            self._secret,
            now,
            self.replay_window,
            app_id=self._app_id,
        )
        return None if problem is None else f"signature {problem} event={_event_name(payload)}"

    def _parse(self, payload: dict[str, Any], now: datetime) -> Delivery[str]:
        """Signed by Zalo, but the fields the bot reads must still make sense."""
        name = _event_name(payload)
        try:
            check_zalo_oa(payload, answered=ANSWERED_EVENTS, text_event="user_send_text")
        except PayloadError as error:
            raise PayloadError(f"{error} event={name}") from None
        key = delivery_key(payload)  # names the person: never logged
        return Delivery(key, to_incoming(payload, key), f"event={name}", name)

    async def _accepted(self, delivery: Delivery[str]) -> None:
        message, name = delivery.message, delivery.event
        if message is not None:
            self.queue.submit(message.key.user_id, lambda: self._process(message))
        elif not (name.startswith("oa_send_") or name in STATUS_EVENTS):
            logger.info("zalo oa: event not handled event=%s", name)

    async def _process(self, message: IncomingMessage) -> None:
        """Answer one stored delivery, then send what is waiting."""
        answered = await self.bot.answer(message, stored=True)
        self.dispatcher.enqueue(answered.leased)  # this chat's answer, sent in the background
        self.dispatcher.wake()  # notifications for other people: the maintenance loop


def build_zalo_oa(
    bot: Bot,
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ZaloOARuntime:
    """The OA channel from the settings: client, token keeper, renderer, sender, runtime."""
    app_id = settings.zalo_app_id.strip()
    app_secret = Settings.secret(settings.zalo_app_secret)
    oa_secret = Settings.secret(settings.zalo_oa_secret_key)
    missing = [
        name
        for name, value in (
            ("ZALO_APP_ID", app_id),
            ("ZALO_APP_SECRET", app_secret),
            ("ZALO_OA_SECRET_KEY", oa_secret),
        )
        if not value
    ]
    if missing:
        raise ValueError(f"Zalo OA channel needs {', '.join(missing)}")
    client = OAClient(app_id, app_secret, transport=transport)

    async def alert(reason: str) -> int:
        return await bot.alert_operators("channel_token_failed", channel="Zalo OA", reason=reason)

    tokens = TokenKeeper(bot.sessions, client, bot.clock, alert)
    texts = bot.assistant.t
    renderer = OARenderer(texts("more_choices"), texts("zalo_attachment_elsewhere"))
    sender = ZaloOASender(client, tokens, renderer)
    return ZaloOARuntime(bot, sender, oa_secret, app_id=app_id, client=client)
