"""A core Reply as Zalo OA customer-service messages: text within the limit, buttons, no files.

A button is an `oa.query.hide` button: tapping it makes the person send its payload as an
ordinary text message, hidden from their chat view. Payloads therefore carry a `#` prefix
so the webhook can tell a tap from typed text (`parse_button_text`).
"""

from __future__ import annotations

from typing import Any

from bot import payloads
from bot.messages import Button, Reply, plain_buttons

__all__ = [
    "BUTTON_PREFIX",
    "MAX_BUTTONS",
    "MAX_BUTTON_TITLE",
    "MAX_TEXT",
    "OARenderer",
    "parse_button_text",
    "split_text",
    "text_length",
]

# Zalo's documented limit for a customer-service text message.
MAX_TEXT = 2000
# The v2 text builder allowed 5 buttons; the v3 limit is unverified, so stay at 5.
MAX_BUTTONS = 5
# Zalo documents no v3 limit for a button title (unverified); 100 characters is far more
# than a phone shows and short enough that no plausible limit is crossed.
MAX_BUTTON_TITLE = 100
BUTTON_PREFIX = "#"
# Where a long text may be cut, best first: paragraph, line, sentence, word.
_SENTENCE_ENDS = (". ", "! ", "? ", "… ", "; ", ": ")


def text_length(text: str) -> int:
    """Length as Zalo's apps may count it (UTF-16 units: an emoji counts twice). Cautious."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut_at(text: str, fit: int) -> int:
    """Where to cut `text`, so that `text[:cut]` has at most `fit` characters."""
    floor = fit // 2  # never leave a tiny chunk behind a separator found too early
    for separator in ("\n\n", "\n"):
        found = text.rfind(separator, 0, fit + 1)
        if found >= floor:
            return found
    best = max(text.rfind(end, 0, fit + 1) for end in _SENTENCE_ENDS)
    if best >= floor:
        return best + 1  # keep the full stop with its sentence
    space = text.rfind(" ", 0, fit + 1)
    return space if space > 0 else fit


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a text into pieces of at most `limit`, at paragraph, line, sentence or space."""
    rest = text.strip()
    chunks: list[str] = []
    while text_length(rest) > limit:
        cut = max(_cut_at(rest, _fit(rest, limit)), 1)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            chunks.append(head)
    if rest:
        chunks.append(rest)
    return chunks


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
