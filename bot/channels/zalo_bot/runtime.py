"""The Zalo Bot platform channel: webhook or long polling, text only, numbered choices.

Webhook: check the secret header, store the delivery (a redelivery stops here), answer 200
at once and process it in the background, each chat in order. Polling (local runs, pilots)
feeds the same processing. Replies go through the stored outbox; this chat's rows are sent
right after the commit and everyone else's by the maintenance loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import ChatQueue
from bot.channels.payloads import ZALO_BOT_CHAT_ID, check_zalobot
from bot.channels.webhook import Delivery, Webhook, plain_answers, secret_matches
from bot.channels.zalo_bot.client import ZaloBotClient, ZaloBotError
from bot.channels.zalo_bot.render import RenderTexts, parse_choice_number, render
from bot.delivery import Dispatcher, SendError
from bot.inbound import from_record, is_record
from bot.messages import Channel, ConversationKey, IncomingMessage, Reply, plain_buttons
from bot.services import Bot, Clock
from bot.settings import Settings
from content.support_texts import SupportTexts
from storage.choices import CONTINUE_WINDOW, ChoiceMenuRepository

__all__ = [
    "MAX_BODY_BYTES",
    "SECRET_HEADER",
    "WEBHOOK_PATH",
    "Inbound",
    "ZaloBotRuntime",
    "ZaloBotSender",
    "delivery_id",
    "render_texts",
    "send_error",
    "to_incoming",
    "unwrap",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")
CHANNEL = Channel.ZALO_BOT.value
WEBHOOK_PATH = "/zalobot/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 64 * 1024  # one event is well under a kilobyte
TEXT_EVENT = "message.text.received"
# Content the bot does not read (never downloaded): the core answers with what it can read.
# "unsupported" is what Zalo sends instead of the content for some protected senders.
OTHER_EVENTS = frozenset(
    {
        "message.image.received",
        "message.sticker.received",
        "message.voice.received",
        "message.unsupported.received",
    }
)
ANSWERED_EVENTS = frozenset({TEXT_EVENT, *OTHER_EVENTS})
TYPING_REPEAT = 4.0  # the indicator lasts about 5 seconds
UPKEEP_GRACE = 30.0  # seconds a round of timers and sends may take to finish at stop


def render_texts(texts: SupportTexts) -> RenderTexts:
    """The renderer's words from content/support.yaml."""
    return RenderTexts(
        choose_by_number=texts("choose_by_number"),
        file_unavailable=texts("zalo_attachment_elsewhere"),
    )


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inbound:
    """One platform event, understood: the message for the core, or why there is none."""

    external_id: str
    event_name: str
    message: IncomingMessage | None
    ignored: str = ""  # log-safe reason when `message` is None


def unwrap(data: Mapping[str, Any]) -> dict[str, Any]:
    """The event, whether Zalo wrapped it as `{"ok": true, "result": {...}}` or not."""
    result = data.get("result")
    if "event_name" not in data and isinstance(result, dict):
        return dict(result)
    return dict(data)


def _part(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def delivery_id(event: Mapping[str, Any]) -> str:
    """The dedupe key: the message id, or a digest of an event that has none."""
    message_id = _part(event, "message").get("message_id")
    if message_id not in (None, ""):
        return str(message_id)
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, default=str)
    return "event:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _sent_at(value: Any) -> datetime | None:
    """Zalo stamps messages in milliseconds since the epoch (seconds are accepted too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        stamp = float(value)
    except ValueError:
        return None
    if stamp > 1e11:
        stamp /= 1000
    try:
        return datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def to_incoming(event: Mapping[str, Any], now: datetime) -> Inbound:
    """Translate one event for the core; bots, groups and unknown events get no answer."""
    name = str(event.get("event_name") or "")
    external_id = delivery_id(event)
    if name != TEXT_EVENT and name not in OTHER_EVENTS:
        return Inbound(external_id, name, None, "unknown event")
    message = _part(event, "message")
    sender, chat = _part(message, "from"), _part(message, "chat")
    chat_id = chat.get("id")
    if not isinstance(chat_id, str) or not ZALO_BOT_CHAT_ID.fullmatch(chat_id):
        return Inbound(external_id, name, None, "no chat id")  # nothing could be sent to it
    if sender.get("is_bot") in (True, "true", "True", 1):
        return Inbound(external_id, name, None, "sent by a bot")
    if str(chat.get("chat_type") or "").upper() == "GROUP":
        return Inbound(external_id, name, None, "group chat")
    key = ConversationKey(CHANNEL, chat_id)
    received_at = _sent_at(message.get("date")) or now
    text = message.get("text")
    if name == TEXT_EVENT and isinstance(text, str) and text.strip():
        incoming = IncomingMessage(key, text=text, message_id=external_id, received_at=received_at)
    else:
        incoming = IncomingMessage(
            key, kind="other", message_id=external_id, received_at=received_at
        )
    return Inbound(external_id, name, incoming)


# --- sending -----------------------------------------------------------------------------


def send_error(error: ZaloBotError) -> SendError:
    """What a failed call means for the outbox row: retry, wait, or give up (and why)."""
    code = error.code
    reason = str(error)
    words = error.description.lower()
    if error.network or code is None or code >= 500 or code == 408:
        return SendError(reason)
    if code == 429 or "too many" in words or "rate limit" in words:
        return SendError(reason, retry_after=error.retry_after or 30.0)
    if code == 401:  # the token: the operator fixes the setting, the row waits and retries
        return SendError(reason)
    if code == 403 or "block" in words:
        return SendError(reason, final=True, kind="blocked")
    return SendError(reason, final=True, kind="other")


class ZaloBotSender:
    """Sends a reply as plain messages; buttons become numbers remembered in the database.

    Numbers keep counting across the replies of one answer (sent within `menu_window`). A
    later message without choices (a volunteer's words, a claim notice) ends the old menu,
    so a number typed in a conversation is read as words, never as a stale choice.

    Edits are impossible on this platform: the new text is sent as a new message. A reply
    split in several messages is sent again whole if a later piece fails (at least once).
    """

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloBotClient,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        texts: RenderTexts,
        *,
        menu_window: timedelta = CONTINUE_WINDOW,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.texts = texts
        self.menu_window = menu_window

    async def send(self, external_id: str, reply: Reply) -> str | None:
        first = 1
        async with self.sessions.begin() as session:
            menus = ChoiceMenuRepository(session)
            if plain_buttons(reply.buttons):
                first = await menus.next_number(
                    self.channel, external_id, self.clock(), self.menu_window
                )
            else:
                await menus.forget_stale(self.channel, external_id, self.clock(), self.menu_window)
        rendered = render(reply, self.texts, first)
        last: str | None = None
        for text in rendered.messages:
            try:
                last = await self.client.send_message(external_id, text)
            except ZaloBotError as error:
                raise send_error(error) from None
        if rendered.payloads:
            # After the send: a failed send must not shift the numbers of the retry.
            try:
                async with self.sessions.begin() as session:
                    await ChoiceMenuRepository(session).remember(
                        self.channel,
                        external_id,
                        rendered.payloads,
                        self.clock(),
                        first_number=first,
                    )
            except SQLAlchemyError:  # sent already: typed numbers will read as text
                logger.exception("numbered choices not stored chat=%s", external_id)
        return last

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        """No edits on this platform: say it again in a new message."""
        return await self.send(external_id, reply)


# --- the channel -------------------------------------------------------------------------

Tick = Callable[[], Awaitable[object]]


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
        self.queue = ChatQueue()
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
        """Finish the messages in hand, then close the HTTP connections."""
        await self.drain()
        await self.client.aclose()

    async def drain(self) -> None:
        """Wait until every accepted message was answered and its replies sent (or failed)."""
        await self.queue.drain()
        await self.dispatcher.drain()

    async def replay(self, payload: dict[str, Any]) -> None:
        """A stored delivery whose processing never finished (its worker died)."""
        if is_record(payload):
            message = from_record(payload)
            if message is None:  # damaged: left for the give-up round, which settles it
                logger.warning("zalobot: stored record unreadable")
                return
        else:  # a row stored before records: the platform's own event
            inbound = to_incoming(payload, self.bot.clock())
            if inbound.message is None:
                await self.bot.settle_delivery(self.name, inbound.external_id)
                return
            message = inbound.message
        # Queued, not awaited: the maintenance loop must not wait in line behind live
        # traffic. A replay of a message still queued here changes nothing (it is settled).
        self.queue.submit(message.key.user_id, lambda: self.process(message))

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
        self.queue.submit(message.key.user_id, lambda: self.process(message))

    # --- processing ----------------------------------------------------------------------

    async def process(self, message: IncomingMessage, *, polled: bool = False) -> None:
        """Read a typed number as the choice it names, let the core answer, send the reply.

        A failure is not apologised for when the message is stored: it is processed again
        later (and the bot apologises only if it gives up). Polling stores nothing, so there
        a failure is final and gets the apology (`polled`).
        """
        chat = message.key.user_id
        # A typed number names a choice of the last menu: the menus still being sent to
        # this chat (and remembered once sent) come first.
        await self.dispatcher.sends.run(chat, _nothing)
        typing = asyncio.get_running_loop().create_task(self._typing(chat))
        try:
            answered = await self.bot.answer(
                message, resolve=self._resolve_choice, stored=not polled
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
        self.dispatcher.wake()  # notifications for other people

    async def _resolve_choice(
        self, session: AsyncSession, message: IncomingMessage
    ) -> IncomingMessage:
        """A typed number is the choice it names (read in the answering transaction)."""
        chat = message.key.user_id
        number = parse_choice_number(message.text) if message.kind == "text" else None
        menus = ChoiceMenuRepository(session)
        payload = await menus.resolve(self.name, chat, number) if number else None
        await menus.close(self.name, chat, self.bot.clock(), self.menu_window)
        if payload is None:
            return message
        return replace(message, kind="button", payload=payload, text=None)

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
            logger.warning("apology not sent chat=%s: %s", chat, error)

    # --- polling -------------------------------------------------------------------------

    async def run_polling(
        self,
        stop_event: asyncio.Event,
        *,
        tick: Tick | None = None,
        tick_seconds: float = 2.0,
        poll_timeout: int = 30,
        backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        """Long-poll until `stop_event` is set (local runs; the webhook must be deleted).

        Every event goes through the same processing as the webhook; there is no inbox, and
        a repeated event is still answered once (the core remembers message ids). `tick`
        (default: due timers, then the outbox) runs every `tick_seconds` and whenever a
        processed message left notifications for others. A rejected token stops the loop.
        """
        stopping = asyncio.Event()
        ticker = asyncio.get_running_loop().create_task(
            self._tick_forever(tick or self._default_tick, tick_seconds, stopping)
        )
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
            # Let a round of upkeep finish its transaction rather than cut it off.
            stopping.set()
            await asyncio.wait({ticker}, timeout=UPKEEP_GRACE)
            if not ticker.done():
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
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

    async def _default_tick(self) -> None:
        await self.bot.run_due_timers()
        await self.dispatcher.flush()

    async def _tick_forever(self, tick: Tick, seconds: float, stopping: asyncio.Event) -> None:
        wakeup = self.dispatcher.wakeup
        while not stopping.is_set():
            try:
                await tick()
            except Exception:
                logger.exception("zalobot polling: upkeep failed")
            waiters = [asyncio.ensure_future(e.wait()) for e in (wakeup, stopping)]
            try:
                await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            wakeup.clear()


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
