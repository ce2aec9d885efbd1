"""How a reply looks on the Zalo Bot platform: plain text, numbered choices, 2,000-char pieces.

The platform has no buttons, so the core's buttons become lines "1. title", "2. title" that
the person answers by typing the number; the payloads are stored (storage.choices) and the
number is turned back into a button press when it arrives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.channels.text import split_text, text_length
from bot.messages import Reply, plain_buttons

__all__ = [
    "MAX_MESSAGE_CHARS",
    "RenderTexts",
    "Rendered",
    "choice_lines",
    "parse_choice_number",
    "render",
]

MAX_MESSAGE_CHARS = 2000  # sendMessage accepts 1-2,000 characters
_CHOICE_NUMBER = re.compile(r"\s*([0-9]{1,3})\s*[.)]?\s*")


@dataclass(frozen=True, slots=True)
class RenderTexts:
    """The words the renderer adds, taken from content/support.yaml by whoever builds it."""

    choose_by_number: str  # the line above the numbered choices
    file_unavailable: str  # said instead of a file the platform cannot send


@dataclass(frozen=True, slots=True)
class Rendered:
    """The messages to send, in order, and the payloads their numbers stand for."""

    messages: tuple[str, ...]
    payloads: tuple[str, ...]
    first_number: int


def choice_lines(titles: Sequence[str], first_number: int = 1) -> list[str]:
    """ "1. title", "2. title", ... starting at `first_number`."""
    return [f"{number}. {title}" for number, title in enumerate(titles, start=first_number)]


def render(
    reply: Reply,
    texts: RenderTexts,
    first_number: int = 1,
    limit: int = MAX_MESSAGE_CHARS,
) -> Rendered:
    """The reply as plain messages; the numbered choices close the last one.

    The "share my phone number" button is left out (the person types the number). A file
    becomes a sentence saying where to get it. If the choices do not fit after the text,
    they go in a message of their own, so a choice is never cut from its number.
    """
    body = reply.text.strip()
    if reply.attachment is not None:
        body = f"{body}\n\n{texts.file_unavailable}" if body else texts.file_unavailable
    messages = split_text(body, limit)
    buttons = plain_buttons(reply.buttons)
    if buttons:
        menu = "\n".join(
            [texts.choose_by_number, *choice_lines([b.title for b in buttons], first_number)]
        )
        joined = f"{messages[-1]}\n\n{menu}" if messages else menu
        if text_length(joined) <= limit:
            messages[-1:] = [joined]
        else:
            messages.extend(split_text(menu, limit))
    return Rendered(tuple(messages), tuple(b.payload for b in buttons), first_number)


def parse_choice_number(text: str | None) -> int | None:
    """The number a person typed to choose ("2", " 2 ", "2.", "2)"), or None for other text."""
    if text is None:
        return None
    found = _CHOICE_NUMBER.fullmatch(text)
    return int(found.group(1)) if found else None
