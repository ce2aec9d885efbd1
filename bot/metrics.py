"""Countable events of the core, reported to whatever records them (Prometheus in the web app).

The core calls a few tiny hooks: a delivery received, a message handled (with its latency),
a send refused, the FAQ's decision, deliveries given up. `Metrics` records nothing until a
recorder is attached, so command-line tools and tests pay nothing and import no metrics
library. One `Metrics` object is shared by the dialogue, the `Bot` and its dispatchers, so
the web application can attach its recorder after everything is composed.

Labels are only channel names and fixed words (never a chat id or any text), so a scrape
reveals nothing about a person and the number of series stays small.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sized
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from bot.logs import hashed_id
from bot.messages import IncomingMessage

__all__ = ["Metrics", "Recorder", "observed"]

logger = logging.getLogger(__name__)


class Recorder(Protocol):
    """What the web application's metrics do with the core's events."""

    def received(self, channel: str) -> None:
        """A new webhook delivery was stored (redeliveries are not counted)."""

    def handled(self, channel: str, seconds: float, *, failed: bool) -> None:
        """The core finished with a message (or raised): how long it took."""

    def send_failed(self, channel: str, kind: str) -> None:
        """A platform refused a send; `kind` is one of `bot.delivery.UNDELIVERABLE_KINDS`."""

    def answered(self, channel: str, action: str) -> None:
        """The FAQ's decision on a typed message: "answer", "clarify" or "fallback"."""

    def given_up(self, channel: str, count: int) -> None:
        """Stored deliveries that failed every replay and were given up (never answered)."""


class Metrics:
    """The hooks the core calls; each forwards to the attached recorder, if any."""

    def __init__(self) -> None:
        self.recorder: Recorder | None = None

    def attach(self, recorder: Recorder | None) -> None:
        """Send every later event to `recorder` (None: record nothing again)."""
        self.recorder = recorder

    def received(self, channel: str) -> None:
        if self.recorder is not None:
            self.recorder.received(channel)

    def handled(self, channel: str, seconds: float, *, failed: bool = False) -> None:
        if self.recorder is not None:
            self.recorder.handled(channel, seconds, failed=failed)

    def send_failed(self, channel: str, kind: str) -> None:
        if self.recorder is not None:
            self.recorder.send_failed(channel, kind)

    def answered(self, channel: str, action: str) -> None:
        if self.recorder is not None:
            self.recorder.answered(channel, action)

    def given_up(self, channel: str, count: int) -> None:
        if self.recorder is not None:
            self.recorder.given_up(channel, count)


class Observed(Protocol):
    metrics: Metrics


S = TypeVar("S", bound=Observed)
P = ParamSpec("P")
R = TypeVar("R", bound=Sized)
Answer = Callable[Concatenate[S, IncomingMessage, P], Awaitable[R]]


def observed(answer: Answer[S, P, R]) -> Answer[S, P, R]:
    """Time `Bot.answer`, count its outcome and log one line per handled message.

    The line carries the channel, the chat's `hashed_id`, the delivery's id and the latency
    (as `extra` fields for the JSON log format too), never the message text or the chat id.
    A failure is logged by the channel adapter that catches it; here it is only counted.
    """

    @functools.wraps(answer)
    async def timed(self: S, message: IncomingMessage, /, *args: P.args, **kwargs: P.kwargs) -> R:
        channel = message.key.channel
        started = time.perf_counter()
        try:
            replies = await answer(self, message, *args, **kwargs)
        except Exception:
            self.metrics.handled(channel, time.perf_counter() - started, failed=True)
            raise
        seconds = time.perf_counter() - started
        self.metrics.handled(channel, seconds)
        latency_ms = round(seconds * 1000, 1)
        logger.info(
            "update handled channel=%s chat=%s update_id=%s replies=%d latency_ms=%.1f",
            channel,
            hashed_id(message.key.user_id),
            message.message_id,
            len(replies),
            latency_ms,
            extra={"channel": channel, "update_id": message.message_id, "latency_ms": latency_ms},
        )
        return replies

    return timed
