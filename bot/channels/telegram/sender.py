"""Deliver the core's replies with the Bot API; platform refusals become `SendError`s."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, ReplyKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.payloads import TELEGRAM_CHAT_ID
from bot.channels.telegram.render import MAX_TEXT, keyboard, to_html
from bot.channels.text import split_text
from bot.delivery import SendError
from bot.messages import Channel, Reply

__all__ = ["TelegramSender"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup
CAPTION_LIMIT = 1024
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class TelegramSender:
    """Sends text (split, escaped), inline keyboards, edits and report files."""

    channel = Channel.TELEGRAM.value

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, external_id: str, reply: Reply) -> str | None:
        chat_id = _chat_id(external_id)
        parts = split_text(reply.text, MAX_TEXT) or [reply.text]
        last: Message | None = None
        for number, part in enumerate(parts, start=1):
            markup = keyboard(reply.buttons) if number == len(parts) else None
            last = await _call(self._send_text(chat_id, part, markup))
        if reply.attachment is not None:
            file = reply.attachment
            await _call(
                lambda: self.bot.send_document(
                    chat_id, InputFile(file.data, filename=file.filename)
                )
            )
        return str(last.message_id) if last is not None else None

    def _send_text(
        self, chat_id: int, text: str, markup: ReplyMarkup | None
    ) -> Callable[[], Awaitable[Message]]:
        def call() -> Awaitable[Message]:
            return self.bot.send_message(
                chat_id, to_html(text), parse_mode=ParseMode.HTML, reply_markup=markup
            )

        return call

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        """Edit in place (a claim notice becoming "already taken"); send anew if impossible."""
        markup = keyboard(reply.buttons)
        inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
        try:
            await _call(
                lambda: self.bot.edit_message_text(
                    to_html((split_text(reply.text, MAX_TEXT) or [reply.text])[0]),
                    chat_id=_chat_id(external_id),
                    message_id=int(platform_message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=inline,
                )
            )
        except SendError as error:
            if "not modified" in error.reason:
                return platform_message_id
            if error.final and error.kind == "other":  # too old, deleted: say it anew
                return await self.send(external_id, reply)
            raise
        return platform_message_id


def _chat_id(external_id: str) -> int:
    """Telegram's chat id; a row addressed to anything else can never be sent (not retried)."""
    if not TELEGRAM_CHAT_ID.fullmatch(external_id):
        raise SendError("telegram: not a chat id", final=True)
    return int(external_id)


async def _call(action: Callable[[], Awaitable[T]]) -> T:
    """Run one Bot API call, translating Telegram's errors for the dispatcher."""
    try:
        return await action()
    except RetryAfter as error:
        wait = error.retry_after
        seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
        raise SendError("telegram: flood limit", retry_after=seconds + 0.5) from error
    except Forbidden as error:
        raise SendError(f"telegram: {error.message}", final=True, kind="blocked") from error
    except BadRequest as error:
        reason = error.message.lower()
        kind = "blocked" if any(gone in reason for gone in _GONE) else "other"
        raise SendError(f"telegram: {reason[:120]}", final=True, kind=kind) from error
    except NetworkError as error:  # timeouts included: retried later
        raise SendError(f"telegram: network ({type(error).__name__})") from error
    except TelegramError as error:
        raise SendError(f"telegram: {type(error).__name__}") from error
