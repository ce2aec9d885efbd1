"""Run work for many chats side by side and each chat's work in order, with bounded concurrency.

A burst of 3,000 updates must not become 3,000 tasks competing with the webhook's
acknowledgements for the event loop (and for database connections). Jobs wait in per-chat
queues; at most `limit` workers run, each taking the next chat that has work, running one of its
jobs and putting the chat back at the end of the line if more is waiting (so one chatty person
does not hold a worker while others wait). No task exists per update, only per worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from bot.logs import hashed_id, log_failure

__all__ = ["ChatQueue", "Job"]

logger = logging.getLogger(__name__)
Job = Callable[[], Awaitable[None]]


class ChatQueue:
    """Jobs of one chat run one at a time, in arrival order; at most `limit` run at once.

    The order holds within one process; across workers the conversation row lock keeps each
    chat consistent. A failing job is logged (type and stack, never its message) and the
    chat's next job runs.
    """

    def __init__(self, limit: int = 8, name: str = "job") -> None:
        self.limit = limit
        self.name = name
        self._jobs: dict[str, deque[Job]] = {}  # chats with work waiting or running
        self._ready: deque[str] = deque()  # chats whose next job may start now
        self._workers: set[asyncio.Task[None]] = set()
        self._queued = 0

    def submit(self, chat: str, job: Job) -> None:
        """Schedule `job` after every earlier job of the same chat."""
        self._queued += 1
        waiting = self._jobs.get(chat)
        if waiting is None:
            self._jobs[chat] = deque([job])
            self._ready.append(chat)
            self._spawn()
        else:  # the chat is running or already in line: it is taken up again in turn
            waiting.append(job)

    async def run(self, chat: str, job: Job) -> None:
        """Run `job` in order with the chat's queued jobs, and wait for it (never raises)."""
        done = asyncio.get_running_loop().create_future()

        async def wrapped() -> None:
            try:
                await job()
            finally:
                if not done.done():
                    done.set_result(None)

        self.submit(chat, wrapped)
        await done

    def _spawn(self) -> None:
        if len(self._workers) < min(self.limit, len(self._ready)):
            task = asyncio.get_running_loop().create_task(self._work())
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _work(self) -> None:
        while self._ready:
            chat = self._ready.popleft()
            waiting = self._jobs[chat]
            job = waiting.popleft()
            try:
                await job()
            except Exception as error:
                log_failure(logger, "%s failed chat=%s", self.name, hashed_id(chat), error=error)
            finally:
                self._queued -= 1
                if waiting:
                    self._ready.append(chat)
                else:
                    del self._jobs[chat]

    async def drain(self) -> None:
        """Wait until every scheduled job has run (shutdown, tests)."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)

    @property
    def busy(self) -> int:
        """Jobs waiting or running."""
        return self._queued
