"""Long polling for local runs and small deployments: one process, no public URL needed.

Telegram allows one poller per token and polling removes any webhook, so use a separate
bot token for development (see the README).
"""

from __future__ import annotations

import asyncio
import logging

from bot.channels.telegram.convert import ALLOWED_UPDATES
from bot.channels.telegram.runtime import TelegramRuntime
from bot.worker import Worker

__all__ = ["run_polling"]

logger = logging.getLogger(__name__)


async def run_polling(runtime: TelegramRuntime, worker: Worker, stop: asyncio.Event) -> None:
    """Poll until `stop` is set; the same handlers as the webhook process every update, and
    `worker` does the background work (timers, the outbox, menus) meanwhile."""
    application = runtime.application
    updater = application.updater
    if updater is None:
        raise ValueError("the Telegram runtime was built without polling")
    await runtime.open()  # polling serves nothing else: an unreachable Telegram is an error
    try:
        await runtime.menus.set_default()
        await updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=30)
        worker.start()
        logger.warning("Telegram polling started; press Ctrl+C to stop")
        await stop.wait()
    finally:
        await worker.stop()
        if updater.running:
            await updater.stop()
        await runtime.stop()
