"""What the studio's preview shows: a reply as each channel would send it.

The core may not import a channel, so the rendering itself is done by the channels' own code
(bot/channels/preview.py, handed to the console by the web application); this module only
names the shapes both sides agree on, and builds the replies a citizen would get.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.dialogue import Dialogue
from bot.messages import Reply
from content.schema import Intent

__all__ = ["Bubble", "ChannelView", "Previewer", "replies_for"]


@dataclass(frozen=True)
class Bubble:
    """One message as the channel sends it: its text, its length as the app counts it, and
    its buttons by row (empty for a channel that writes its choices into the text)."""

    text: str
    length: int
    buttons: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class ChannelView:
    """The messages of a reply on one channel, and the limit a message must stay within."""

    channel: str
    limit: int
    bubbles: tuple[Bubble, ...]
    numbered: bool = False  # buttons written as numbered lines the person answers by number

    @property
    def longest(self) -> int:
        return max((b.length for b in self.bubbles), default=0)


# The replies of one answer -> how each channel shows them.
Previewer = Callable[[Sequence[Reply]], list[ChannelView]]


def replies_for(dialogue: Dialogue, intent: Intent) -> tuple[Reply, Reply]:
    """The answer and the sources reply the bot would send for `intent`."""
    return dialogue.answer_replies(intent)
