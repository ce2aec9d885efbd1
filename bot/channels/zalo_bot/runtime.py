"""The Zalo Bot platform channel: webhook or long polling, text only, numbered choices.

Events are read in convert.py and replies sent by sender.py; this module runs the channel.

Webhook: check the secret header, store the delivery (a redelivery stops here), answer 200
at once; the stored delivery is processed by whichever worker claims it first, each chat in
order (bot/inbox_processor.py). Polling (local runs, pilots) feeds the same processing
without the inbox. Replies go through the stored outbox; this chat's rows are sent right
after the commit and everyone else's by the worker (bot/worker.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import ChatQueue
from bot.channels.payloads import check_zalobot
from bot.channels.webhook import Delivery, Webhook, plain_answers, secret_matches
from bot.channels.zalo_bot.client import ZaloBotClient, ZaloBotError
from bot.channels.zalo_bot.convert import (
    ANSWERED_EVENTS,
    CHANNEL,
    TEXT_EVENT,
    Inbound,
    to_incoming,
    unwrap,
)
from bot.channels.zalo_bot.render import RenderTexts, parse_choice_number
from bot.channels.zalo_bot.sender import ZaloBotSender, render_texts
from bot.delivery import Dispatcher
from bot.inbound import stored_message
from bot.inbox_processor import InboxProcessor
from bot.logs import hashed_id
from bot.messages import IncomingMessage
from bot.services import Bot
from bot.settings import Settings
from bot.worker import Worker
from storage.choices import CONTINUE_WINDOW, ChoiceMenuRepository

__all__ = ["MAX_BODY_BYTES", "SECRET_HEADER", "WEBHOOK_PATH", "ZaloBotRuntime"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
WEBHOOK_PATH = "/zalobot/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 64 * 1024  # one event is well under a kilobyte
TYPING_REPEAT = 4.0  # the indicator lasts about 5 seconds


# --- the channel -------------------------------------------------------------------------


class ZaloBotRuntime:
    """One Zalo Bot token: webhook route, polling loop, sender and outbox dispatcher."""

    name = CHANNEL

    def __init__(
        self,
        bot: Bot,
        client: ZaloBotClient,
        webhook_secret: str = "",
        *,
        texts: RenderTexts | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        typing_after: float = 1.5,
        menu_window: timedelta = CONTINUE_WINDOW,
    ) -> None:
        self.bot = bot
        self.client = client
        self.webhook_secret = webhook_secret
        self.max_body_bytes = max_body_bytes
        self.typing_after = typing_after
        self.menu_window = menu_window
        self.sender = ZaloBotSender(
            client,
            bot.sessions,
            bot.clock,
            texts or render_texts(bot.assistant.t),
            menu_window=menu_window,
        )
        self.dispatcher: Dispatcher = bot.dispatcher(self.sender)
        self.queue = ChatQueue()  # polling's processing (webhook deliveries: `processor`)
        # Stored deliveries, taken from the database under a lease: each chat in order
        # whichever worker received them, a dead worker's rows replayed (bot/inbox_processor.py).
        self.processor = InboxProcessor(
            bot.sessions,
            self.name,
            self._handle_stored,
            bot.clock,
            receiving=lambda: bot.receiving,
        )
        self._warned_no_secret = False
        self._webhook = Webhook(
            bot,
            self.name,
            "zalobot",
            max_body_bytes,
            plain_answers("not a Zalo Bot event"),
            self._parse,
            self._accepted,
            allowed=self._allowed,
        )

    @classmethod
    def from_settings(cls, settings: Settings, bot: Bot, **options: Any) -> ZaloBotRuntime:
        """Built from ZALO_BOT_TOKEN, ZALO_BOT_WEBHOOK_SECRET and ZALO_BOT_API_BASE.

        `transport` (an httpx transport, for tests) goes to the client; other options to
        the runtime.
        """
        token = Settings.secret(settings.zalo_bot_token)
        if not token:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        client = ZaloBotClient(
            token, base_url=settings.zalo_bot_api_base, transport=options.pop("transport", None)
        )
        secret = Settings.secret(settings.zalo_bot_webhook_secret)
        return cls(bot, client, secret, **options)

    # --- lifecycle -----------------------------------------------------------------------

    def routes(self) -> Sequence[BaseRoute]:
        return [Route(WEBHOOK_PATH, self.webhook, methods=["POST"])]

    @property
    def ready(self) -> bool:
        """Nothing to connect at start-up: a failing send is retried from the outbox."""
        return True

    async def start(self) -> None:
        """Nothing to open: the HTTP client connects on first use."""

    async def stop(self) -> None:
        """Finish the messages in hand (take no new ones), then close the HTTP connections."""
        await self.processor.stop()
        await self.drain()
        await self.client.aclose()

    async def drain(self) -> None:
        """Wait until every stored message was answered and its replies sent (or failed)."""
        await self.processor.drain()
        await self.queue.drain()
        await self.dispatcher.drain()

    async def upkeep(self) -> None:
        """Nothing beyond the outbox."""

    async def replay(self, payload: dict[str, Any]) -> None:
        """Nothing: the processor replays this channel's rows (see `Worker.replay_stalled`)."""
        self.processor.wake()

    async def _handle_stored(self, event_id: int, payload: dict[str, Any]) -> None:
        """Answer a stored delivery and settle its row (the processor holds its chat)."""
        message = stored_message(
            payload, lambda event: to_incoming(event, self.bot.clock()).message
        )
        if message is None:  # an event that needs no answer
            await self.bot.settle_event(event_id)
            return
        await self.process(message, event_id=event_id)

    # --- webhook -------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        """Check, store, acknowledge (see bot/channels/webhook.py); answered in the background."""
        return await self._webhook.handle(request)

    def _allowed(self, headers: Headers) -> bool:
        if not self.webhook_secret and not self._warned_no_secret:
            logger.warning("ZALO_BOT_WEBHOOK_SECRET is not set: webhook calls are refused")
            self._warned_no_secret = True
        return secret_matches(headers.get(SECRET_HEADER), self.webhook_secret)

    def _parse(self, data: dict[str, Any], now: datetime) -> Delivery[Inbound]:
        event = unwrap(data)
        check_zalobot(event, answered=ANSWERED_EVENTS, text_event=TEXT_EVENT)
        inbound = to_incoming(event, now)
        key = inbound.external_id
        return Delivery(key, inbound.message, f"id={key}", inbound)

    async def _accepted(self, delivery: Delivery[Inbound]) -> None:
        message = delivery.message
        if message is None:
            inbound = delivery.event
            logger.info(
                "zalobot event not answered event=%s id=%s reason=%s",
                inbound.event_name[:64] or "(none)",
                inbound.external_id,
                inbound.ignored,
            )
            return
        self.processor.wake()  # stored: whichever worker claims it first answers it

    # --- processing ----------------------------------------------------------------------

    async def process(
        self, message: IncomingMessage, *, polled: bool = False, event_id: int | None = None
    ) -> None:
        """Read a typed number as the choice it names, let the core answer, send the reply.

        A failure is not apologised for when the message is stored: it is processed again
        later (and the bot apologises only if it gives up). Polling stores nothing, so there
        a failure is final and gets the apology (`polled`).
        """
        chat = message.key.user_id
        if message.kind == "text" and parse_choice_number(message.text or "") is not None:
            # A typed number names a choice of the last menu: the menus still being sent to
            # this chat (and remembered once sent) come first. Other messages never wait
            # for the platform.
            await self.dispatcher.sends.run(chat, _nothing)
        typing = asyncio.get_running_loop().create_task(self._typing(chat))
        try:
            answered = await self.bot.answer(
                message,
                resolve=self._resolve_choice,
                silent=self._close_menu,
                numbered=True,
                stored=not polled,
                event_id=event_id,
            )
        except Exception:
            if polled:
                await self._apologize(chat)
            raise
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
        self.dispatcher.enqueue(answered.leased)  # this chat's answer, sent in the background
        if answered.others:  # notifications for other people
            self.dispatcher.wake()

    async def _resolve_choice(
        self, session: AsyncSession, message: IncomingMessage
    ) -> IncomingMessage:
        """A typed number is the choice it names (read in the answering transaction)."""
        chat = message.key.user_id
        number = parse_choice_number(message.text) if message.kind == "text" else None
        if number is None:  # the answer starts a new menu anyway (`Reply.menu_from`)
            return message
        payload = await ChoiceMenuRepository(session).resolve(self.name, chat, number)
        if payload is None:
            return message
        return replace(message, kind="button", payload=payload, text=None)

    async def _close_menu(self, session: AsyncSession, message: IncomingMessage) -> None:
        """The person wrote and the bot said nothing (words relayed to a volunteer): the next
        message without choices ends the menu, so a "1" typed next is words, not a choice.
        An answer stores its own menu (`numbered`)."""
        await ChoiceMenuRepository(session).close(
            self.name, message.key.user_id, self.bot.clock(), self.menu_window
        )

    async def _typing(self, chat: str) -> None:
        """Show "typing..." only when an answer is slow, and keep it up until it is ready."""
        await asyncio.sleep(self.typing_after)
        while True:
            with contextlib.suppress(ZaloBotError):
                await self.client.send_chat_action(chat, "typing")
            await asyncio.sleep(TYPING_REPEAT)

    async def _apologize(self, chat: str) -> None:
        """After an error: a short apology so the person is not left waiting in silence."""
        try:
            await self.client.send_message(chat, self.bot.assistant.t("error_apology"))
        except ZaloBotError as error:
            logger.warning("apology not sent chat=%s: %s", hashed_id(chat), error)

    # --- polling -------------------------------------------------------------------------

    async def run_polling(
        self,
        stop_event: asyncio.Event,
        *,
        worker: Worker | None = None,
        poll_timeout: int = 30,
        backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        """Long-poll until `stop_event` is set (local runs; the webhook must be deleted).

        Every event goes through the same processing as the webhook; there is no inbox, and
        a repeated event is still answered once (the core remembers message ids). The
        background work (timers, then the outbox) is the shared `Worker`'s (default: this
        channel alone, every 2 seconds and whenever a processed message left notifications
        for others). A rejected token stops the loop.
        """
        worker = worker or Worker(self.bot, [self])
        worker.start()
        delay = backoff[0]
        logger.warning("zalobot polling started")
        try:
            while not stop_event.is_set():
                try:
                    events = await _unless_stopped(
                        self.client.get_updates(poll_timeout), stop_event
                    )
                except ZaloBotError as error:
                    if error.code == 401:
                        raise
                    await _unless_stopped(asyncio.sleep(delay), stop_event)
                    delay = min(delay * 2, backoff[1])
                    continue
                if events is None:
                    break
                delay = backoff[0]
                for event in events:
                    await self._consume(event)
        finally:
            await worker.stop()  # a round in hand finishes its transaction first
            logger.warning("zalobot polling stopped")

    async def _consume(self, event: dict[str, Any]) -> None:
        inbound = to_incoming(unwrap(event) or {}, self.bot.clock())
        if inbound.message is None:
            logger.info(
                "zalobot event not answered event=%s reason=%s",
                inbound.event_name[:64] or "(none)",
                inbound.ignored,
            )
            return
        message = inbound.message
        await self.queue.run(message.key.user_id, lambda: self.process(message, polled=True))


async def _nothing() -> None:
    """A job that only waits its turn."""


async def _unless_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event) -> T | None:
    """Run `work` unless `stop` is set first (then it is cancelled and None is returned)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        return None
    return task.result()
