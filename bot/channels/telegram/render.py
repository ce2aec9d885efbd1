"""The core's replies -> Telegram messages: escaped HTML, split text, inline keyboards."""

from __future__ import annotations

import html

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import MessageLimit

from bot.messages import SHARE_CONTACT, Button, plain_buttons

__all__ = ["MAX_TEXT", "keyboard", "to_html"]

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4,096 characters
SHORT_TITLE = 4  # titles this short ("1", "2"... "5★") share one row


def to_html(text: str) -> str:
    """Every character the core wrote is shown as typed: <, > and & cannot become markup."""
    return html.escape(text, quote=False)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """Inline buttons (one per row, short ones side by side), or the share-phone keyboard.

    Telegram's "share my phone number" is a reply keyboard, which cannot sit beside inline
    buttons; the other choices then become keyboard buttons that send their title as text.
    """
    if any(button.payload == SHARE_CONTACT for button in buttons):
        keys = [
            [KeyboardButton(b.title, request_contact=b.payload == SHARE_CONTACT)] for b in buttons
        ]
        return ReplyKeyboardMarkup(keys, resize_keyboard=True, one_time_keyboard=True)
    visible = plain_buttons(buttons)
    if not visible:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    short: list[InlineKeyboardButton] = []
    for button in visible:
        item = InlineKeyboardButton(button.title, callback_data=button.payload)
        if len(button.title) <= SHORT_TITLE:
            short.append(item)
            continue
        if short:
            rows.append(short)
            short = []
        rows.append([item])
    if short:
        rows.append(short)
    return InlineKeyboardMarkup(rows)
