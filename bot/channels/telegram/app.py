"""The python-telegram-bot `Application`: one handler for every update, per-chat ordering.

Webhook and polling feed the same application, so no behaviour depends on the transport.
No ConversationHandler, user_data or JobQueue: all state lives in the database, so several
workers can serve one bot.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)
from telegram.request import BaseRequest

from bot.channels.telegram.convert import chat_of
from bot.logs import hashed_id

__all__ = ["PerChatUpdateProcessor", "UpdateHandler", "build_application"]

logger = logging.getLogger(__name__)
UpdateHandler = Callable[[Update], Awaitable[None]]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run side by side; updates of one chat stay in order.

    PTB's default runs one update at a time, so one slow database call would hold up every
    citizen; `concurrent_updates(True)` would let one person's messages overtake each other.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = chat_of(update) if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        self._users[chat] = self._users.get(chat, 0) + 1
        lock = self._locks.setdefault(chat, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat] -= 1
            if not self._users[chat]:
                del self._users[chat]
                del self._locks[chat]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


def build_application(
    token: str,
    on_update: UpdateHandler,
    on_error: UpdateHandler | None = None,
    *,
    request: BaseRequest | None = None,
    polling: bool = False,
    rate_limit: bool = True,
    concurrency: int = 64,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """An application whose only handler passes every update to `on_update`.

    `request` replaces the HTTP layer (tests use a fake Bot API). Without `polling` there is
    no Updater: updates arrive through the web application's webhook route.
    """
    # PTB 22 warns that durations (retry_after) become timedelta in 23; opt in now, quietly.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder().token(token).concurrent_updates(PerChatUpdateProcessor(concurrency))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if not polling:
        builder = builder.updater(None)
    if rate_limit:
        # Stays under Telegram's ~30 messages/second; waits and retries when told (429).
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))
    application = builder.build()

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await on_update(update)

    application.add_handler(TypeHandler(Update, handle))
    if on_error is not None:

        async def error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            update_id = update.update_id if isinstance(update, Update) else None
            chat = chat_of(update) if isinstance(update, Update) else None
            # Never the message text: the error type and where it happened are enough.
            logger.error(
                "update failed update_id=%s chat_id=%s error=%s",
                update_id,
                hashed_id(chat),
                type(context.error).__name__,
                exc_info=context.error,
            )
            if isinstance(update, Update):
                await on_error(update)

        application.add_error_handler(error)
    return application
