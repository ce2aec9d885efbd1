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

__all__ = ["MAX_TEXT", "keyboard", "split_text", "to_html"]

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4,096 characters
SHORT_TITLE = 4  # titles this short ("1", "2"... "5★") share one row


def to_html(text: str) -> str:
    """Every character the core wrote is shown as typed: <, > and & cannot become markup."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages: at paragraphs, then lines, then spaces, then anywhere.

    Telegram counts the limit after parsing the HTML, so `&lt;` is one character: the limit
    applies to the text as the core wrote it.
    """
    parts: list[str] = []
    rest = text.strip("\n")
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts


def _cut_point(text: str, limit: int) -> int:
    head = text[:limit]
    for separator in ("\n\n", "\n", ". ", " "):
        position = head.rfind(separator)
        if position > limit // 3:
            return position + 1 if separator == ". " else position
    return limit


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
