"""What every network channel adapter provides to the web application and the polling runner."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from starlette.routing import BaseRoute

from bot.delivery import Dispatcher
from bot.logs import log_failure

__all__ = ["ChannelRuntime", "ChatQueue"]

logger = logging.getLogger(__name__)


class ChannelRuntime(Protocol):
    """A channel adapter as the web application and the maintenance loop see it."""

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


Job = Callable[[], Awaitable[None]]


class ChatQueue:
    """Runs jobs for different chats side by side and jobs for one chat in arrival order.

    One slow database call then holds up one citizen, not everyone. The order holds within
    one process; across workers the conversation row lock keeps each chat consistent.
    """

    def __init__(self, limit: int = 64) -> None:
        self._limit = asyncio.Semaphore(limit)
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, chat: str, job: Job) -> None:
        """Schedule `job` after every earlier job of the same chat."""
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        lock = self._locks.setdefault(chat, asyncio.Lock())
        task = asyncio.get_running_loop().create_task(self._run(chat, lock, job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, chat: str, job: Job) -> None:
        """Run `job` now, in order with the chat's queued jobs (for callers that wait)."""
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        await self._run(chat, self._locks.setdefault(chat, asyncio.Lock()), job)

    async def _run(self, chat: str, lock: asyncio.Lock, job: Job) -> None:
        try:
            async with lock, self._limit:
                await job()
        except Exception as error:
            log_failure(logger, "job failed chat=%s", chat, error=error)
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:
                del self._waiting[chat]
                self._locks.pop(chat, None)

    async def drain(self) -> None:
        """Wait for every scheduled job (shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def busy(self) -> int:
        return len(self._tasks)
