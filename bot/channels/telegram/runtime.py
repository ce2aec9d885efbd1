"""The Telegram channel as the web application and the polling runner use it.

Webhook: check the secret header, store the update (a redelivery is dropped here), answer
200 at once; the stored update is processed by whichever worker claims it first, each chat in
order (bot/inbox_processor.py), as on the Zalo channels. A button press is answered (the
spinner stops) as soon as it is stored. Polling feeds PTB's application instead (nothing is
stored). Every reply goes through the stored outbox and is sent right after the commit.

Start-up never waits for Telegram: when getMe fails (no network, an outage) the web
application serves every other route and this channel keeps trying in the background, with
capped exponential backoff. Updates that arrive meanwhile are stored and acknowledged as
usual and processed the moment Telegram answers; past `waiting_limit` the worker
(bot/worker.py) replays them once the channel is ready. A rejected token is not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import CallbackQuery, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.request import BaseRequest

from bot.channels.payloads import PayloadError, check_telegram
from bot.channels.telegram.app import build_application
from bot.channels.telegram.convert import ALLOWED_UPDATES, chat_of, to_incoming
from bot.channels.telegram.menus import CommandMenus
from bot.channels.telegram.sender import TelegramSender
from bot.channels.webhook import Delivery, Webhook, plain_answers, secret_matches
from bot.delivery import Dispatcher
from bot.inbound import stored_message
from bot.inbox_processor import InboxProcessor
from bot.logs import hashed_id, log_failure
from bot.messages import Channel, IncomingMessage
from bot.services import Bot

__all__ = ["MAX_BODY_BYTES", "SECRET_HEADER", "TelegramRuntime"]

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000  # an update is a few kilobytes
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
RETRY = (1.0, 60.0)  # seconds before the first retry to reach Telegram, and the longest wait
WAITING_LIMIT = 10_000  # updates kept in memory while Telegram cannot be reached


def backoff(first: float, longest: float) -> Iterator[float]:
    """Waits between attempts: doubling from `first`, never longer than `longest`."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, longest)


def _named_wait(error: BaseException) -> float:
    """The wait Telegram asked for (429 with retry_after), or 0."""
    if not isinstance(error, RetryAfter):
        return 0.0
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


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
        retry: tuple[float, float] = RETRY,
        waiting_limit: int = WAITING_LIMIT,
    ) -> None:
        self.bot = bot
        self.webhook_secret = webhook_secret
        self.polling = polling
        self.retry = retry
        self.waiting_limit = waiting_limit
        self.token_rejected = False
        self._ready = False
        self._connecting: asyncio.Task[None] | None = None
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
        # Stored webhook updates, taken from the database under a lease (bot/inbox_processor.py).
        self.processor = InboxProcessor(
            bot.sessions,
            self.name,
            self._handle_stored,
            bot.clock,
            receiving=lambda: bot.receiving,
        )
        self._waiting = 0  # updates stored while Telegram could not be reached
        self._callbacks: set[asyncio.Task[None]] = set()  # button presses being answered
        self._webhook = Webhook(
            bot,
            self.name,
            "telegram",
            MAX_BODY_BYTES,
            plain_answers("not a Telegram update"),
            self._parse,
            self._accepted,
            allowed=lambda headers: secret_matches(
                headers.get(SECRET_HEADER), self.webhook_secret
            ),
        )

    # --- lifecycle -----------------------------------------------------------------------

    def routes(self) -> Sequence[BaseRoute]:
        return [Route("/telegram/webhook", self.webhook, methods=["POST"])]

    @property
    def ready(self) -> bool:
        """Telegram answered getMe and the update queue is being processed."""
        return self._ready

    async def open(self) -> None:
        """Initialize (calls getMe) and start processing the update queue; raises when
        Telegram cannot be reached (polling and the CLI want to know at once)."""
        await self.application.initialize()
        await self.application.start()
        self._ready = True

    async def start(self) -> None:
        """Open now, or keep trying in the background: the web application comes up anyway."""
        try:
            await self.open()
        except InvalidToken:
            self._reject_token()
        except (TelegramError, OSError) as error:  # PTB wraps httpx's errors in NetworkError
            logger.warning(
                "telegram: not reachable at start-up (%s); webhook updates are stored and "
                "answered once it is; retrying in the background",
                type(error).__name__,
            )
            self._connecting = asyncio.get_running_loop().create_task(self._keep_trying(error))

    async def _keep_trying(self, error: BaseException) -> None:
        attempts = 1
        for delay in backoff(*self.retry):
            await asyncio.sleep(max(delay, _named_wait(error)))
            attempts += 1
            try:
                await self.open()
            except InvalidToken:
                self._reject_token()
                return
            except (TelegramError, OSError) as failure:
                error = failure
                logger.info(
                    "telegram: still not reachable (%s) attempt=%d",
                    type(failure).__name__,
                    attempts,
                )
            except Exception as failure:  # a bug: say where, and keep the channel trying
                log_failure(
                    logger, "telegram: start-up failed attempt=%d", attempts, error=failure
                )
                error = failure
            else:
                logger.warning(
                    "telegram: connected after %d attempts; waiting updates=%d are processed now",
                    attempts,
                    self.application.update_queue.qsize(),
                )
                self.dispatcher.wake()  # replies that waited in the outbox go out now
                if self._waiting:  # what arrived meanwhile (past the limit: the worker's)
                    self._waiting = 0
                    self.processor.wake()
                return

    def _reject_token(self) -> None:
        """Never log the error itself: PTB puts the token in its message."""
        self.token_rejected = True
        logger.error(
            "telegram: TELEGRAM_BOT_TOKEN was rejected by Telegram (InvalidToken). Check the "
            "token with @BotFather and restart; the Telegram channel stays off until then "
            "(updates are still stored, /readyz reports telegram not ready)"
        )

    async def stop(self) -> None:
        """Stop trying to connect, process the updates already queued, close the connections."""
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None
        await self.processor.stop()  # take no new updates, finish those in hand
        self._ready = False
        if self.application.running:
            await self.application.stop()
        if self._callbacks:
            await asyncio.gather(*self._callbacks, return_exceptions=True)
        await self.dispatcher.drain()  # the replies of the updates just processed
        await self.application.shutdown()
        await self.application.bot.shutdown()  # its HTTP client, when getMe never succeeded

    async def replay(self, payload: dict[str, Any]) -> None:
        """Nothing: the processor replays this channel's rows (see `Worker.replay_stalled`)."""
        self.processor.wake()

    async def _handle_stored(self, event_id: int, payload: dict[str, Any]) -> None:
        """Answer a stored update and settle its row (the processor holds its chat)."""
        message = stored_message(
            payload, lambda update: to_incoming(Update.de_json(update, self.application.bot))
        )
        if message is None:  # an update that needs no answer
            await self.bot.settle_event(event_id)
            return
        await self.process(message, event_id=event_id)

    @property
    def busy(self) -> bool:
        """Updates are being processed right now (tests wait for the queue to settle)."""
        processor = self.application.update_processor
        return (
            processor.current_concurrent_updates > 0
            or self.processor.busy > 0
            or self.dispatcher.sends.busy > 0
            or bool(self._callbacks)
        )

    async def upkeep(self) -> None:
        """Menus of people whose role changed (a leader named by an operator, say)."""
        await self.menus.refresh()

    # --- webhook -------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        """Check the secret, store the update, answer 200 (see bot/channels/webhook.py)."""
        return await self._webhook.handle(request)

    def _parse(self, data: dict[str, Any], now: datetime) -> Delivery[Update]:
        """The update, read by PTB too (it reads the kinds the bot does not use as well)."""
        check_telegram(data)
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception as error:
            reason = f"unreadable update update_id={data['update_id']}: {type(error).__name__}"
            raise PayloadError(reason) from None
        try:
            message = to_incoming(update)
        except (AttributeError, TypeError, ValueError):
            raise PayloadError(f"unreadable update update_id={update.update_id}") from None
        key = str(update.update_id)
        return Delivery(key, message, f"update_id={key}", update)

    async def _accepted(self, delivery: Delivery[Update]) -> None:
        if not self._ready:  # processed once Telegram answers (past the limit: the worker)
            self._waiting = min(self._waiting + 1, self.waiting_limit)
            return
        query = delivery.event.callback_query
        if query is not None:  # the button stops spinning now, whatever happens next
            task = asyncio.get_running_loop().create_task(self._answer_callback(query))
            self._callbacks.add(task)
            task.add_done_callback(self._callbacks.discard)
        if delivery.message is not None:
            self.processor.wake()  # stored: whichever worker claims it first answers it

    async def _answer_callback(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as error:
            logger.info("callback not answered: %s", error)

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
        await self.process(message)

    async def process(self, message: IncomingMessage, *, event_id: int | None = None) -> None:
        """Let the core answer (state, effects, outbox: one commit), then send the reply."""
        answered = await self.bot.answer(message, stored=not self.polling, event_id=event_id)
        chat = message.key.user_id
        if message.kind != "left":
            self.dispatcher.enqueue(answered.leased)  # this chat's answer, in the background
            if answered.menu_behind:  # a role changed: the "/" list follows at once
                await self.menus.refresh(chat)
        if answered.others:  # notifications for other people
            self.dispatcher.wake()

    async def apologize(self, update: Update) -> None:
        """After an error in polling mode, where nothing is stored: the bot gives up, says so.

        A webhook update is stored: it is processed again later, so no apology (the bot
        apologises only when it gives a stored update up, see `Bot.give_up`).
        """
        chat = chat_of(update)
        if chat is None or not self.polling:
            return
        try:
            await self.application.bot.send_message(
                int(chat), self.bot.assistant.t("error_apology")
            )
        except TelegramError as error:
            logger.warning("apology not sent chat_id=%s: %s", hashed_id(chat), error)

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
