"""Every worker answers with the current published content, within one round, no restart.

The shipped content is the baseline; the database holds the published versions
(storage/content_versions.py), each an overlay over it (content/published.py). `LiveContent`
is a process's view: every background round (bot/worker.py) asks the database for the
current version id (one query); when it changed, it builds the new content and matcher off
the event loop (a cold index build is about 0.4 s for the shipped FAQ; the index is cached per
content version in the cache folder), swaps both into the dialogue at once, and writes the
overlay to the data folder for the commands that have no database (`trolyso match`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dialogue import Dialogue
from bot.matching import build_matcher
from content import Content
from content.published import Overlay, apply_overlay, write_published
from intents import Matcher
from storage.content_versions import ContentVersionRepository

__all__ = ["ContentFollower", "LiveContent"]

logger = logging.getLogger(__name__)


class LiveContent:
    """The baseline, the version this process answers with, and the dialogue to update."""

    def __init__(
        self,
        baseline: Content,
        dialogue: Dialogue,
        sessions: async_sessionmaker[AsyncSession],
        *,
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
        version: int = 0,
    ) -> None:
        self.baseline = baseline
        self.dialogue = dialogue
        self.sessions = sessions
        self.data_dir = data_dir
        self.cache_dir = cache_dir
        self.version = version
        self._lock = asyncio.Lock()

    @property
    def content(self) -> Content:
        return self.dialogue.content

    @property
    def matcher(self) -> Matcher:
        return self.dialogue.matcher

    def build(self, overlay: Overlay) -> tuple[Content, Matcher]:
        """The content and matcher of an overlay (CPU-bound: call it in a thread)."""
        content = apply_overlay(self.baseline, overlay)
        return content, build_matcher(content, self.cache_dir)

    async def refresh(self) -> bool:
        """Take up the current version if it is not this process's; True when it changed."""
        async with self._lock:  # a round and a publication in this process never race
            async with self.sessions() as session:
                repo = ContentVersionRepository(session)
                current = await repo.current_id()
                if current == self.version:
                    return False
                row = await repo.get(current) if current else None
                overlay = Overlay.from_json(current, row.overlay if row else {})
            try:
                content, matcher = await asyncio.to_thread(self.build, overlay)
            except Exception:
                logger.exception(
                    "content version %d could not be built; keeping %d", current, self.version
                )
                self.version = current  # not retried every round; the next version is
                return False
            await self._take(overlay, content, matcher)
            return True

    async def adopt(self, overlay: Overlay, content: Content, matcher: Matcher) -> None:
        """A version this process published and already built: no second build."""
        async with self._lock:
            if overlay.version > self.version:
                await self._take(overlay, content, matcher)

    async def _take(self, overlay: Overlay, content: Content, matcher: Matcher) -> None:
        self.dialogue.use(content, matcher)  # one synchronous step: never half swapped
        previous, self.version = self.version, overlay.version
        if self.data_dir is not None:
            await asyncio.to_thread(write_published, self.data_dir, overlay)
        logger.info("content version %d -> %d", previous, overlay.version)


class ContentFollower:
    """For a process without a worker (`serve --no-worker`): it answers citizens, so it still
    takes each publication up, checking the version every `every` seconds."""

    def __init__(self, live: LiveContent, every: float = 5.0) -> None:
        self.live = live
        self.every = every  # a publication reaches this process within 10 s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.live.refresh()
            except Exception:
                logger.exception("content version check failed")
