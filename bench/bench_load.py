"""Benchmark a 10/10 burst against the real server: acknowledgements, answers, memory.

Starts `trolyso serve` as one or more subprocesses (each its own worker, as behind a load
balancer: posts go round-robin, so one chat's messages reach different workers) on SQLite or
PostgreSQL, with the Zalo Bot channel pointed at a fake platform on loopback that answers at
once. Posts a burst of FAQ questions (`--updates` from `--chats` chats, `--in-flight` posts at
a time, each chat in order) and prints, side by side for each setting:

- acknowledgement latency p50/p99 (the webhook's 200: what the platform waits for);
- updates answered per second (an update is answered when the platform accepted its reply),
  from the first post to the last reply;
- peak memory (VmHWM) per worker, lost and duplicate replies.

The posts are raw HTTP/1.1 on kept connections (`Posts`), not httpx: on a 2-core machine the
client's own CPU is taken from the servers it measures. CPU seconds per worker come from
/proc (user + system over the worker's life, start-up included).

Loopback only, bounded in count and time. The machine is shared and noisy: read the order of
magnitude, not the last digit.

Usage: python bench/bench_load.py [--updates 3000] [--chats 300] [--in-flight 64]
       [--workers 1 2] [--db sqlite postgres] [--url postgresql+asyncpg://...]
       [--keep FOLDER] [--profile PATH]  (cProfile of each server: read it with `python -m pstats`)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the fault-test harness

from sqlalchemy.ext.asyncio import create_async_engine

from content import load_content
from tests.faults.harness import (
    SECRET,
    SECRET_HEADER,
    TOKEN,
    ServerProcess,
    Update,
    plan,
    questions,
    server_env,
)
from tests.faults.platform import FakeZaloPlatform
from tests.faults.postgres import fresh_database

WEBHOOK = "/zalobot/webhook"


@dataclass
class Result:
    label: str
    acks: list[float]  # seconds per acknowledged post
    refused: int
    answered_per_s: float
    lost: int
    duplicates: int
    peak_mib: list[float]
    seconds: float
    cpu_s: list[float]  # user + system CPU seconds per worker, over its whole life
    states: str = ""  # inbox and outbox rows by state at the end
    messages: int = 0  # messages the platform accepted (an answer may be several)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Posts:
    """Keep-alive HTTP/1.1 connections to the servers, written by hand.

    The client shares the machine with the servers it measures: httpx costs about a
    millisecond of CPU per post, which on two cores is taken from the servers. Raw requests on
    kept connections cost a tenth of that. Posts go round-robin over the servers.
    """

    def __init__(self, urls: Sequence[str], size: int) -> None:
        self.targets = [url.removeprefix("http://").split(":") for url in urls]
        self.pools: list[asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = [
            asyncio.Queue() for _ in urls
        ]
        self.size = size
        self.opened = [0 for _ in urls]
        self.turn = itertools.count()

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """The status code (0 when the connection failed)."""
        n = next(self.turn) % len(self.targets)
        pool = self.pools[n]
        if pool.empty() and self.opened[n] < self.size:
            self.opened[n] += 1
            host, port = self.targets[n]
            try:
                pool.put_nowait(await asyncio.open_connection(host, int(port)))
            except OSError:
                self.opened[n] -= 1
                return 0
        reader, writer = await pool.get()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"{head}Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        try:
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
            writer.close()
            self.opened[n] -= 1
            return 0
        pool.put_nowait((reader, writer))
        return status

    def close(self) -> None:
        for pool in self.pools:
            while not pool.empty():
                pool.get_nowait()[1].close()


async def burst(
    urls: Sequence[str], streams: Sequence[Sequence[Update]], in_flight: int, deadline: float
) -> tuple[list[float], int]:
    """Post every update, each chat in order; returns ack latencies and refused posts."""
    slots = asyncio.Semaphore(in_flight)
    acks: list[float] = []
    refused = 0
    posts = Posts(urls, in_flight)
    headers = {SECRET_HEADER: SECRET}

    async def chat(stream: Sequence[Update]) -> None:
        nonlocal refused
        for update in stream:
            body = json.dumps(update.event()).encode()
            for _ in range(20):  # a refused post is delivered again, as platforms do
                async with slots:
                    started = time.perf_counter()
                    status = await asyncio.wait_for(
                        posts.post(WEBHOOK, body, headers), timeout=deadline
                    )
                    elapsed = time.perf_counter() - started
                if status == 200:
                    acks.append(elapsed)
                    break
                refused += 1
                await asyncio.sleep(0.2)

    try:
        await asyncio.gather(*(chat(stream) for stream in streams))
    finally:
        posts.close()
    return acks, refused


async def run(db: str, workers: int, args: argparse.Namespace, work: Path, label: str) -> Result:
    content = load_content()
    asked = questions(content)
    streams = plan(args.updates, args.chats, asked)
    expected = {(u.chat, u.question.marker) for stream in streams for u in stream}
    async with contextlib.AsyncExitStack() as stack:
        platform = stack.enter_context(FakeZaloPlatform(TOKEN))
        data = work / f"{label}-data"
        data.mkdir()
        url = await stack.enter_async_context(fresh_database(args.url)) if db != "sqlite" else ""
        env = server_env(platform.base_url, data, url)
        env["TROLYSO_REPLAY_AFTER_SECONDS"] = "60"
        servers = [
            ServerProcess(
                env,
                args.port + n,
                work / f"{label}-server{n}.log",
                profile=Path(f"{args.profile}.{label}.{n}") if args.profile else None,
            )
            for n in range(workers)
        ]
        await servers[0].start()  # the first one migrates the database
        await asyncio.gather(*(server.start() for server in servers[1:]))
        try:
            started = time.perf_counter()
            acks, refused = await burst(
                [s.url for s in servers], streams, args.in_flight, args.deadline
            )
            while time.perf_counter() - started < args.deadline:
                got = {(m.chat, m.text.splitlines()[0].strip()) for m in platform.sent()}
                if expected <= got:
                    break
                await asyncio.sleep(0.05)
            sent = platform.sent()
            last = max((m.at for m in sent), default=time.monotonic())
            elapsed = last - (time.monotonic() - (time.perf_counter() - started))
            replies = Counter((m.chat, m.text.splitlines()[0].strip()) for m in sent)
            peaks = [peak_mib(s.process.pid) for s in servers if s.process is not None]
            messages = len(sent)
            states = await where_they_are(url or f"sqlite+aiosqlite:///{data / 'trolyso.db'}")
            cpu = [cpu_seconds(s.process.pid) for s in servers if s.process is not None]
        finally:
            await asyncio.gather(*(server.stop() for server in servers))
    answered = sum(1 for key in expected if replies[key])
    return Result(
        label=label,
        acks=sorted(acks),
        refused=refused,
        answered_per_s=answered / elapsed if elapsed > 0 else 0.0,
        lost=len(expected) - answered,
        duplicates=sum(n - 1 for key, n in replies.items() if key in expected and n > 1),
        peak_mib=peaks,
        seconds=elapsed,
        cpu_s=cpu,
        states=states,
        messages=messages,
    )


async def where_they_are(url: str) -> str:
    """Inbox and outbox rows by state at the deadline: where unanswered updates wait."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            inbox = (
                await connection.exec_driver_sql(
                    "SELECT CASE WHEN handled_at IS NOT NULL THEN 'handled'"
                    " WHEN failed THEN 'failed' WHEN lease_until IS NOT NULL THEN 'leased'"
                    " ELSE 'open' END AS state, count(*) FROM inbound_events GROUP BY 1"
                )
            ).all()
            outbox = (
                await connection.exec_driver_sql("SELECT status, count(*) FROM outbox GROUP BY 1")
            ).all()
    except Exception as error:  # a diagnostic only: never fail the run over it
        return f"(states not read: {type(error).__name__})"
    finally:
        await engine.dispose()

    def counts(rows: Sequence[Any]) -> str:
        return " ".join(f"{state}={n}" for state, n in sorted(rows))

    return f"inbox {counts(inbox)}; outbox {counts(outbox)}"


def quantile(values: Sequence[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def show(results: Sequence[Result], args: argparse.Namespace) -> None:
    print(
        f"{args.updates} updates from {args.chats} chats, {args.in_flight} posts in flight, "
        "fake platform answering at once"
    )
    width = max(len(r.label) for r in results) + 2
    print(
        f"{'':{width}}{'ack p50':>9}{'ack p99':>9}{'answered/s':>12}{'lost':>6}"
        f"{'dupl.':>7}{'refused':>9}{'MiB/worker':>12}{'CPU s/worker':>14}{'s':>7}"
    )
    for r in results:
        print(
            f"{r.label:{width}}{quantile(r.acks, 0.5) * 1000:>7.1f}ms"
            f"{quantile(r.acks, 0.99) * 1000:>7.1f}ms{r.answered_per_s:>12.0f}{r.lost:>6}"
            f"{r.duplicates:>7}{r.refused:>9}{statistics.mean(r.peak_mib or [0]):>12.0f}"
            f"{statistics.mean(r.cpu_s or [0]):>14.1f}{r.seconds:>7.1f}"
        )
    for r in results:
        print(f"{r.label}: the platform accepted {r.messages} messages")
        if r.lost:
            print(f"{r.label}: {r.lost} unanswered at the deadline; {r.states}")


async def main_async(args: argparse.Namespace) -> None:
    results = []
    with contextlib.ExitStack() as stack:
        if args.keep:  # the servers' logs and databases stay there to read
            folder = args.keep
            os.makedirs(folder, exist_ok=True)
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="trolyso-load-"))
        for db in args.db:
            if db == "postgres" and not args.url:
                print("postgres: skipped (give --url or TROLYSO_TEST_POSTGRES_URL)")
                continue
            for workers in args.workers:
                label = f"{db}, {workers} worker{'s' if workers > 1 else ''}"
                results.append(await run(db, workers, args, Path(folder), label.replace(" ", "")))
                results[-1].label = label
    show(results, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite"])
    parser.add_argument("--url", default=os.environ.get("TROLYSO_TEST_POSTGRES_URL", ""))
    parser.add_argument("--port", type=int, default=18780)
    parser.add_argument("--deadline", type=float, default=120.0)
    parser.add_argument("--keep", default="", help="keep the servers' logs in this folder")
    parser.add_argument(
        "--profile",
        default="",
        help="write each server's cProfile statistics to PROFILE.<setting>.<worker>",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
