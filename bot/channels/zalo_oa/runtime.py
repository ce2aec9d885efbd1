"""The Zalo Official Account channel: the signed webhook in, customer-service messages out.

A delivery is verified, stored in the inbox and committed before the 200 goes back, well
inside Zalo's 2-second budget; whichever worker claims it first handles it afterwards, each
chat in order (bot/inbox_processor.py), and the replies leave through the outbox dispatcher.
A redelivered event finds its inbox row and is acknowledged without being handled twice.
Events are read in convert.py, replies sent by sender.py; this module runs the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.payloads import PayloadError, check_zalo_oa
from bot.channels.webhook import Delivery, Webhook, json_answers
from bot.channels.zalo_oa.client import OAClient
from bot.channels.zalo_oa.convert import (
    ANSWERED_EVENTS,
    CHANNEL,
    STATUS_EVENTS,
    delivery_key,
    event_name,
    to_incoming,
)
from bot.channels.zalo_oa.render import OARenderer
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.signature import REPLAY_WINDOW, check_signature
from bot.channels.zalo_oa.tokens import TokenKeeper
from bot.delivery import Dispatcher, Sender
from bot.inbound import stored_message
from bot.inbox_processor import InboxProcessor
from bot.messages import IncomingMessage
from bot.services import Bot
from bot.settings import Settings

__all__ = ["MAX_BODY_BYTES", "WEBHOOK_PATH", "ZaloOARuntime", "build_zalo_oa"]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_BODY_BYTES = 256 * 1024  # events are small JSON; anything bigger is not Zalo


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
        # Stored deliveries, taken from the database under a lease: each chat in order
        # whichever worker received them, a dead worker's rows replayed (bot/inbox_processor.py).
        self.processor = InboxProcessor(
            bot.sessions, CHANNEL, self._handle_stored, bot.clock, receiving=lambda: bot.receiving
        )
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
        await self.processor.stop()  # take no new deliveries, finish those in hand
        await self.drain()
        if self.client is not None:
            await self.client.aclose()

    async def drain(self) -> None:
        """Wait until every accepted delivery was handled and its replies sent (or failed)."""
        await self.processor.drain()
        await self.dispatcher.drain()

    async def upkeep(self) -> None:
        """Nothing beyond the outbox (the access token is renewed when a send needs it)."""

    async def replay(self, payload: dict[str, Any]) -> None:
        """Nothing: the processor replays this channel's rows (see `Worker.replay_stalled`)."""
        self.processor.wake()

    async def _handle_stored(self, event_id: int, payload: dict[str, Any]) -> None:
        """Answer a stored delivery and settle its row (the processor holds its chat)."""
        message = stored_message(payload, lambda event: to_incoming(event, delivery_key(event)))
        if message is None:  # an event that needs no answer
            await self.bot.settle_event(event_id)
            return
        await self._process(message, event_id)

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
        return None if problem is None else f"signature {problem} event={event_name(payload)}"

    def _parse(self, payload: dict[str, Any], now: datetime) -> Delivery[str]:
        """Signed by Zalo, but the fields the bot reads must still make sense."""
        name = event_name(payload)
        try:
            check_zalo_oa(payload, answered=ANSWERED_EVENTS, text_event="user_send_text")
        except PayloadError as error:
            raise PayloadError(f"{error} event={name}") from None
        key = delivery_key(payload)  # names the person: never logged
        return Delivery(key, to_incoming(payload, key), f"event={name}", name)

    async def _accepted(self, delivery: Delivery[str]) -> None:
        message, name = delivery.message, delivery.event
        if message is not None:
            self.processor.wake()  # stored: whichever worker claims it first answers it
        elif not (name.startswith("oa_send_") or name in STATUS_EVENTS):
            logger.info("zalo oa: event not handled event=%s", name)

    async def _process(self, message: IncomingMessage, event_id: int) -> None:
        """Answer one stored delivery, then send what is waiting."""
        answered = await self.bot.answer(message, event_id=event_id)
        self.dispatcher.enqueue(answered.leased)  # this chat's answer, sent in the background
        if answered.others:  # notifications for other people: the maintenance loop
            self.dispatcher.wake()


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
