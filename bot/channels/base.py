"""What every network channel adapter provides to the web application, the polling runners
and the background worker (bot/worker.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from starlette.routing import BaseRoute

from bot.chatqueue import ChatQueue
from bot.delivery import Dispatcher

__all__ = ["ChannelRuntime", "ChatQueue"]


class ChannelRuntime(Protocol):
    """A channel adapter as the web application and the worker see it.

    The worker needs only `name`, `dispatcher`, `ready`, `replay` and `upkeep` (its
    `WorkerChannel`); the web application also mounts `routes` and calls `start`/`stop`.
    """

    name: str
    dispatcher: Dispatcher

    def routes(self) -> Sequence[BaseRoute]:
        """The webhook endpoints this channel serves."""

    @property
    def ready(self) -> bool:
        """Connected and answering; while not, webhooks are still stored and acknowledged."""

    async def start(self) -> None:
        """Open connections (called once, at application start-up).

        Never fails because a platform is unreachable: the other channels and the probes
        must come up anyway. A channel that could not connect stays not `ready` and keeps
        trying in the background.
        """

    async def stop(self) -> None:
        """Finish work in hand and close connections."""

    async def replay(self, payload: dict[str, Any]) -> None:
        """Process a stored webhook delivery again (its worker died before finishing)."""

    async def upkeep(self) -> None:
        """The channel's own background work, run by the worker after each flush of its
        outbox while the channel is ready (Telegram refreshes command menus; most channels
        have nothing to do)."""
