"""The Telegram channel as the web application and the polling runner use it.

Webhook: check the secret header, store the update (a redelivery is dropped here), answer
200 at once, and let the application process it in the background. Polling feeds the same
application. Every reply goes through the stored outbox and is sent right after the commit.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.error import TelegramError
from telegram.request import BaseRequest

from bot.channels.payloads import PayloadError, check_telegram, load_object
from bot.channels.telegram.app import build_application
from bot.channels.telegram.convert import ALLOWED_UPDATES, chat_of, to_incoming
from bot.channels.telegram.menus import CommandMenus
from bot.channels.telegram.sender import TelegramSender
from bot.delivery import Dispatcher
from bot.messages import Channel
from bot.services import Bot
from storage.inbox import InboxRepository

__all__ = ["MAX_BODY_BYTES", "SECRET_HEADER", "TelegramRuntime"]

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000  # an update is a few kilobytes
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramRuntime:
    """One bot token: its PTB application, sender, outbox dispatcher and webhook route."""

    name = Channel.TELEGRAM.value

    def __init__(
        self,
        bot: Bot,
        token: str,
        webhook_secret: str = "",
        *,
        request: BaseRequest | None = None,
        polling: bool = False,
        rate_limit: bool = True,
    ) -> None:
        self.bot = bot
        self.webhook_secret = webhook_secret
        self.application = build_application(
            token,
            self.handle_update,
            self.apologize,
            request=request,
            polling=polling,
            rate_limit=rate_limit,
        )
        self.sender = TelegramSender(self.application.bot)
        self.dispatcher: Dispatcher = bot.dispatcher(self.sender)
        self.menus = CommandMenus(bot, self.application.bot)
        self._replayed: set[int] = set()

    # --- lifecycle -----------------------------------------------------------------------

    def routes(self) -> Sequence[BaseRoute]:
        return [Route("/telegram/webhook", self.webhook, methods=["POST"])]

    async def start(self) -> None:
        """Initialize (calls getMe) and start processing the update queue."""
        await self.application.initialize()
        await self.application.start()

    async def stop(self) -> None:
        """Process the updates already queued, then close the HTTP connections."""
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def replay(self, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.application.bot)
        self._replayed.add(update.update_id)
        await self.application.update_queue.put(update)

    @property
    def busy(self) -> bool:
        """Updates are being processed right now (tests wait for the queue to settle)."""
        processor = self.application.update_processor
        return processor.current_concurrent_updates > 0

    async def tick(self) -> None:
        """Menus of people whose role changed (a leader named by an operator, say)."""
        await self.menus.refresh()

    # --- webhook -------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(
            given.encode(), self.webhook_secret.encode()
        ):
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("too large", status_code=413)
        try:
            data = load_object(body)
            check_telegram(data)
        except PayloadError as error:
            logger.warning("telegram webhook refused: %s", error)
            return PlainTextResponse("not a Telegram update", status_code=400)
        try:  # PTB reads the kinds the bot does not use too (an edited message, a poll)
            update = Update.de_json(data, self.application.bot)
        except Exception as error:
            logger.warning(
                "unreadable update update_id=%s: %s", data["update_id"], type(error).__name__
            )
            return PlainTextResponse("not a Telegram update", status_code=400)
        async with self.bot.sessions.begin() as session:
            stored = await InboxRepository(session).receive(
                self.name, str(update.update_id), data, self.bot.clock()
            )
        if stored is None:
            logger.info("redelivered update_id=%s ignored", update.update_id)
        else:
            await self.application.update_queue.put(update)
        return Response(status_code=200)

    # --- processing ----------------------------------------------------------------------

    async def handle_update(self, update: Update) -> None:
        """The one handler: answer the button press, let the core decide, send the replies."""
        if update.callback_query is not None:
            try:  # the button stops spinning whatever happens next
                await update.callback_query.answer()
            except TelegramError as error:
                logger.info("callback not answered update_id=%s: %s", update.update_id, error)
        message = to_incoming(update)
        if message is None:
            await self.bot.settle_delivery(self.name, str(update.update_id))
            return
        await self.bot.accept(message)
        chat = message.key.user_id
        if message.kind != "left":
            await self.dispatcher.flush(chat)
            await self.menus.refresh(chat)
        self.dispatcher.wake()  # notifications for other people
        self._replayed.discard(update.update_id)

    async def apologize(self, update: Update) -> None:
        """After an error: a short apology, once (not again when the update is replayed)."""
        chat = chat_of(update)
        if chat is None or update.update_id in self._replayed:
            return
        self._replayed.add(update.update_id)
        try:
            await self.application.bot.send_message(
                int(chat), self.bot.assistant.t("error_apology")
            )
        except TelegramError as error:
            logger.warning("apology not sent chat_id=%s: %s", chat, error)

    # --- operator commands ---------------------------------------------------------------

    async def set_webhook(self, url: str, drop_pending: bool = False) -> bool:
        """Register the webhook once (from the CLI, never at each worker's start)."""
        if not SECRET_PATTERN.fullmatch(self.webhook_secret):
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        await self.menus.set_default()
        return bool(
            await self.application.bot.set_webhook(
                url,
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=drop_pending,
                max_connections=40,
            )
        )
