"""A core Reply as Zalo OA customer-service messages: text within the limit, buttons, no files.

A button is an `oa.query.hide` button: tapping it makes the person send its payload as an
ordinary text message, hidden from their chat view. Payloads therefore carry a `#` prefix
so the webhook can tell a tap from typed text (`parse_button_text`).
"""

from __future__ import annotations

from typing import Any

from bot import payloads
from bot.channels.text import split_text
from bot.messages import Button, Reply, plain_buttons

__all__ = [
    "BUTTON_PREFIX",
    "MAX_BUTTONS",
    "MAX_BUTTON_TITLE",
    "MAX_TEXT",
    "OARenderer",
    "parse_button_text",
]

# Zalo's documented limit for a customer-service text message.
MAX_TEXT = 2000
# The v2 text builder allowed 5 buttons; the v3 limit is unverified, so stay at 5.
MAX_BUTTONS = 5
# Zalo documents no v3 limit for a button title (unverified); 100 characters is far more
# than a phone shows and short enough that no plausible limit is crossed.
MAX_BUTTON_TITLE = 100
BUTTON_PREFIX = "#"


def parse_button_text(text: str) -> str | None:
    """The core payload a tapped button sent as text, or None for text a person typed."""
    stripped = text.strip()
    if not stripped.startswith(BUTTON_PREFIX):
        return None
    candidate = stripped[len(BUTTON_PREFIX) :]
    return candidate if payloads.parse(candidate) is not None else None


class OARenderer:
    """Turns a Reply into the `message` objects of one or more `/message/cs` calls.

    The texts are given by the caller (they come from content/support.yaml): the heading of
    a follow-up message that carries buttons beyond the fifth, and the notice that replaces
    a file (sending files needs Zalo's upload API, which the bot does not use).
    """

    def __init__(
        self,
        more_choices: str,
        attachment_notice: str,
        *,
        max_text: int = MAX_TEXT,
        max_buttons: int = MAX_BUTTONS,
        max_title: int = MAX_BUTTON_TITLE,
    ) -> None:
        self.more_choices = more_choices
        self.attachment_notice = attachment_notice
        self.max_text = max_text
        self.max_buttons = max_buttons
        self.max_title = max_title

    def title(self, title: str) -> str:
        """A button title on one line, cut to the limit with an ellipsis."""
        flat = " ".join(title.split())
        if len(flat) <= self.max_title:
            return flat
        return flat[: self.max_title - 1].rstrip() + "…"

    def button(self, button: Button) -> dict[str, str]:
        return {
            "title": self.title(button.title),
            "type": "oa.query.hide",
            "payload": BUTTON_PREFIX + button.payload,
        }

    def _with_buttons(self, text: str, group: list[dict[str, str]]) -> dict[str, Any]:
        return {"text": text, "attachment": {"type": "template", "payload": {"buttons": group}}}

    def render(self, reply: Reply) -> list[dict[str, Any]]:
        """The messages to send in order; buttons ride on the last piece of text."""
        text = reply.text.strip()
        if reply.attachment is not None:
            text = f"{text}\n\n{self.attachment_notice}" if text else self.attachment_notice
        buttons = [self.button(b) for b in plain_buttons(reply.buttons)]
        groups = [
            buttons[start : start + self.max_buttons]
            for start in range(0, len(buttons), self.max_buttons)
        ]
        chunks = split_text(text, self.max_text)
        if not chunks and groups:
            chunks = [self.more_choices]  # Zalo needs some text under buttons
        messages: list[dict[str, Any]] = [{"text": chunk} for chunk in chunks]
        if groups:
            messages[-1] = self._with_buttons(chunks[-1], groups[0])
            messages.extend(self._with_buttons(self.more_choices, group) for group in groups[1:])
        return messages
