"""`trolyso serve` (the web application, with the background worker beside it) and
`trolyso worker` (the background worker alone).

A small deployment runs `serve` and nothing else. A larger one may run `serve --no-worker`
on its web machines and `trolyso worker` processes next to them: the worker sends what the
web processes stored, runs timers and replays stalled deliveries, and any number of workers
may share one PostgreSQL database (timers and deliveries are locked, outbox rows leased).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, TextIO

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.base import ChannelRuntime
    from bot.services import Services

__all__ = ["add_process_parsers", "run_serve", "run_worker"]

logger = logging.getLogger(__name__)
EXIT_OK, EXIT_ERROR = 0, 1


def add_process_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="serve the channels' webhooks (ASGI, uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="leave timers, outgoing messages and replays to `trolyso worker` processes",
    )
    sub.add_parser(
        "worker",
        help="run only the background work (timers, outgoing messages, stalled deliveries) "
        "of every configured channel; Ctrl+C or SIGTERM stops it",
    )


def run_serve(settings: Settings, args: argparse.Namespace, err: TextIO | None = None) -> int:
    import uvicorn

    from bot.services import prepare
    from bot.web.factory import ConfigurationError, build_web_app

    err = err or sys.stderr
    services = prepare(settings)
    try:
        app = build_web_app(settings, services, worker=not getattr(args, "no_worker", False))
    except ConfigurationError as error:
        err.write(f"trolyso serve: {error}\n")
        asyncio.run(services.aclose())
        return EXIT_ERROR
    _keep_out_of_collections()
    # log_config=None: uvicorn's lines go through the handler `trolyso` set up (same format).
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        log_config=None,
    )
    uvicorn.Server(config).run()
    return EXIT_OK


def run_worker(settings: Settings, err: TextIO | None = None) -> int:
    """Build the configured channels and run their background work until a signal."""
    from bot.services import prepare
    from bot.web.factory import ConfigurationError, channel_runtimes

    err = err or sys.stderr
    services = prepare(settings)
    try:
        runtimes = channel_runtimes(settings, services)
    except ConfigurationError as error:
        err.write(f"trolyso worker: {error}\n")
        asyncio.run(services.aclose())
        return EXIT_ERROR
    _keep_out_of_collections()
    asyncio.run(_work(settings, services, runtimes))
    return EXIT_OK


def _keep_out_of_collections() -> None:
    """What start-up loaded (content, the matcher's index, the ORM's mappers: about 100,000
    objects) lives as long as the process: move it out of the garbage collector's reach. A
    full collection otherwise walks all of it, about 40 ms on the event loop during which no
    webhook is acknowledged, and a burst's allocations trigger one every few hundred
    messages."""
    gc.collect()
    gc.freeze()


async def _work(settings: Settings, services: Services, runtimes: list[ChannelRuntime]) -> None:
    from bot.web.factory import build_worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    _count_in_shared_metrics(services, runtimes)
    worker = build_worker(settings, services, runtimes)
    started: list[ChannelRuntime] = []
    try:
        for runtime in runtimes:
            await runtime.start()  # never waits for a platform: see each runtime's start
            started.append(runtime)
        worker.start()
        logger.warning("worker started channels=%s", ",".join(r.name for r in runtimes) or "-")
        await stop.wait()
    finally:
        await worker.stop()
        for runtime in reversed(started):
            await runtime.stop()
        await services.aclose()
        logger.warning("worker stopped")


def _count_in_shared_metrics(services: Services, runtimes: list[ChannelRuntime]) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set, the worker's counters (failed sends, deliveries
    given up) are written there, and the web processes' `/metrics` reports them too."""
    from bot.web.metrics import MULTIPROCESS_DIR, PrometheusRecorder

    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import CollectorRegistry

        recorder = PrometheusRecorder(CollectorRegistry(), [r.name for r in runtimes])
        services.bot.metrics.attach(recorder)
