"""The content studio's preview, rendered by each channel's own sending code.

Telegram: `split_text` at 4,096 and the inline keyboard of `keyboard` (the sender's calls);
Zalo OA: `OARenderer.render` (2,000 characters, buttons on the last piece); Zalo Bot:
`render` (2,000 characters, the buttons written as numbered lines). The web application
hands `channel_previewer(...)` to the console, which never imports a channel itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.channels.telegram.render import MAX_TEXT, keyboard
from bot.channels.text import split_text, text_length
from bot.channels.zalo_bot.render import MAX_MESSAGE_CHARS, RenderTexts, render
from bot.channels.zalo_bot.sender import render_texts
from bot.channels.zalo_oa.render import MAX_TEXT as OA_MAX_TEXT
from bot.channels.zalo_oa.render import OARenderer
from bot.features.studio.preview import Bubble, ChannelView, Previewer
from bot.messages import Reply
from content.support_texts import SupportTexts

__all__ = ["channel_previewer"]


def _telegram(replies: Sequence[Reply]) -> ChannelView:
    bubbles: list[Bubble] = []
    for reply in replies:
        parts = split_text(reply.text, MAX_TEXT) or [reply.text]
        markup = keyboard(reply.buttons)
        rows: tuple[tuple[str, ...], ...] = ()
        if isinstance(markup, InlineKeyboardMarkup):
            rows = tuple(tuple(b.text for b in row) for row in markup.inline_keyboard)
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            bubbles.append(Bubble(part, text_length(part), rows if last else ()))
    return ChannelView("Telegram", MAX_TEXT, tuple(bubbles))


def _zalo_oa(replies: Sequence[Reply], renderer: OARenderer) -> ChannelView:
    bubbles: list[Bubble] = []
    for reply in replies:
        for message in renderer.render(reply):
            text = str(message.get("text", ""))
            buttons = message.get("attachment", {}).get("payload", {}).get("buttons", [])
            rows = tuple((str(b["title"]),) for b in buttons)
            bubbles.append(Bubble(text, text_length(text), rows))
    return ChannelView("Zalo OA", OA_MAX_TEXT, tuple(bubbles))


def _zalo_bot(replies: Sequence[Reply], texts: RenderTexts) -> ChannelView:
    bubbles: list[Bubble] = []
    for reply in replies:
        rendered = render(reply, texts)
        bubbles.extend(Bubble(text, text_length(text)) for text in rendered.messages)
    return ChannelView("Zalo Bot", MAX_MESSAGE_CHARS, tuple(bubbles), numbered=True)


def channel_previewer(texts: SupportTexts) -> Previewer:
    """The previewer of a deployment, with the words its channels add (support.yaml)."""
    oa = OARenderer(texts("more_choices"), texts("zalo_attachment_elsewhere"))
    bot_texts = render_texts(texts)

    def preview(replies: Sequence[Reply]) -> list[ChannelView]:
        return [_telegram(replies), _zalo_oa(replies, oa), _zalo_bot(replies, bot_texts)]

    return preview
