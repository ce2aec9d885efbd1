"""The two faults, run end to end: SIGKILL of the server, and a PostgreSQL outage.

Each run starts the fake platform and the real server, sends a bounded stream of questions
from many chats, injects the fault once a share of the stream was acknowledged, lets the
stream finish, waits until every acknowledged update is answered (or a deadline), stops the
server, and counts (`tests.faults.figures`). Callers assert on the figures (the tests) or
print them (bench/bench_faults.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from content import load_content
from storage.db import sqlite_url
from tests.faults.figures import Figures, Recognizer, count, delivered, snapshot
from tests.faults.harness import TOKEN, ServerProcess, Traffic, plan, questions, server_env
from tests.faults.platform import FakeZaloPlatform
from tests.faults.postgres import LocalPostgres, free_port

__all__ = ["Load", "run_kill", "run_outage"]


@dataclass(frozen=True, slots=True)
class Load:
    """How much traffic, how fast, and how long to wait for the last answers."""

    updates: int = 240
    chats: int = 30
    concurrency: int = 8  # webhook posts in flight at once
    rate: float = 60.0  # updates per second (first deliveries)
    latency: float = 0.02  # seconds the platform takes to answer a sendMessage
    fault_after: float = 0.4  # the fault comes once this share of updates was acknowledged
    deadline: float = 20.0  # seconds after the stream for the last answers
    settle: float = 1.0  # then this long for stray duplicates
    redeliver: int = 8  # every n-th acknowledged update is posted again after the stream


@dataclass(slots=True)
class Run:
    """What a fault needs to act and measure."""

    server: ServerProcess
    platform: FakeZaloPlatform
    database_url: str
    recognizer: Recognizer


Fault = Callable[[Run], Awaitable[int]]  # injects the fault; returns the messages in flight


async def run_kill(folder: Path, load: Load, database_url: str = "") -> Figures:
    """SIGKILL mid-stream, restart on the same port and database."""

    async def kill(run: Run) -> int:
        run.server.kill()
        # A sendMessage already written to the socket still reaches the platform.
        await asyncio.sleep(0.3)
        state = await snapshot(run.database_url, run.recognizer)
        sent = delivered(run.platform.sent(), run.recognizer)
        # In flight: replies the platform received whose outbox row is still pending (sent,
        # but the kill came before the row was marked sent). Only these can be sent twice.
        in_flight = state.unsettled_but_delivered(sent)
        await run.server.start()
        return in_flight

    return await _run("kill", folder, load, database_url, kill)


async def run_outage(
    folder: Path, load: Load, postgres: LocalPostgres, down: float = 5.0, margin: float = 1.0
) -> Figures:
    """`pg_ctl stop -m fast` mid-stream, `down` seconds without a database, start again."""

    async def outage(run: Run) -> int:
        stopped = time.monotonic()
        await asyncio.to_thread(postgres.stop, "fast")
        await asyncio.sleep(down)
        await asyncio.to_thread(postgres.start)
        back = time.monotonic()
        # In flight: replies the platform received while the database could not record
        # them as sent, from `margin` seconds before the stop (a row sent just before it
        # may still be settling when connections are cut) until the database was back.
        return sum(
            1
            for message in run.platform.sent()
            if stopped - margin <= message.at <= back
            and run.recognizer.intent(message.text) is not None
        )

    return await _run("outage", folder, load, postgres.url, outage)


async def _run(
    scenario: str, folder: Path, load: Load, database_url: str, fault: Fault
) -> Figures:
    content = load_content()
    asked = questions(content)
    recognizer = Recognizer(asked, content.support("error_apology"))
    streams = plan(load.updates, load.chats, asked)
    data = folder / "data"
    url = database_url or sqlite_url(data)
    started = time.monotonic()
    with FakeZaloPlatform(TOKEN, latency=load.latency) as platform:
        env = server_env(platform.base_url, data, database_url)
        server = ServerProcess(env, free_port(), folder / "server.log")
        await server.start()
        traffic = Traffic(server.url, streams, concurrency=load.concurrency, rate=load.rate)
        sending = asyncio.create_task(traffic.run())
        run = Run(server, platform, url, recognizer)
        try:
            threshold = traffic.after_acks(max(1, int(load.updates * load.fault_after)))
            await asyncio.wait_for(threshold.wait(), timeout=60)
            fault_at = time.monotonic()
            in_flight = await fault(run)
            await asyncio.wait_for(sending, timeout=60)
            # The platform redelivers what it had trouble with, and a sample of the rest.
            acknowledged = traffic.acknowledged()
            again = {u.message_id: u for u in traffic.refused() + acknowledged[:: load.redeliver]}
            await asyncio.wait_for(traffic.redeliver(list(again.values())), timeout=60)
            complete = await _answered(platform, traffic, recognizer, load.deadline)
            await asyncio.sleep(load.settle)
        finally:
            if not sending.done():
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending
            await server.stop()
        final = await snapshot(url, recognizer)
        messages = platform.sent()
    return count(
        scenario=scenario,
        database="postgres" if database_url else "sqlite",
        streams=streams,
        acknowledged=traffic.acknowledged(),
        messages=messages,
        final=final,
        recognizer=recognizer,
        in_flight=in_flight,
        redeliveries=traffic.redeliveries(),
        recovered_in=None if complete is None else complete - fault_at,
        seconds=time.monotonic() - started,
    )


async def _answered(
    platform: FakeZaloPlatform, traffic: Traffic, recognizer: Recognizer, deadline: float
) -> float | None:
    """Wait until every acknowledged update has its reply (when the last one arrived), or
    `deadline` seconds (None)."""
    wanted = {(u.chat, u.question.intent) for u in traffic.acknowledged()}
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        last: dict[tuple[str, str], float] = {}
        for message in platform.sent():
            intent = recognizer.intent(message.text)
            if intent is not None:
                last.setdefault((message.chat, intent), message.at)
        if wanted <= last.keys():
            return max(last[key] for key in wanted)
        await asyncio.sleep(0.1)
    return None
