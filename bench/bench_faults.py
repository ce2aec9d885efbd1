"""Benchmark faults: SIGKILL of the server and a PostgreSQL outage, under load.

Runs the real `trolyso serve` as a subprocess behind a fake Zalo Bot platform on loopback
(tests/faults: nothing leaves the machine), sends a bounded stream of FAQ questions from
many chats, and injects the fault once 40% of the stream was acknowledged:

- kill: SIGKILL mid-stream, restart on the same port and database (SQLite or PostgreSQL);
- outage: `pg_ctl stop -m fast` of a PostgreSQL server of its own for --down seconds, then
  start it again (needs the PostgreSQL binaries in /usr/lib/postgresql/*/bin).

Prints the closing note's figures for each scenario: acknowledged, handled, lost, processed
twice, duplicate sends (those already sent, and those "due": rows still pending after the
platform received them, which will be sent again), apologies, and the messages in flight
at the fault; then the promises a run broke. A reply that waits in the outbox past the
deadline counts as lost (and as "late").

Usage: python bench/bench_faults.py [--scenario kill|outage|both] [--db sqlite|postgres]
       [--url postgresql+asyncpg://...] [--updates 240] [--chats 30] [--deadline 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the harness of the tests

from tests.faults.figures import Figures
from tests.faults.postgres import LocalPostgres, free_port, fresh_database, postgres_bindir
from tests.faults.scenarios import Load, run_kill, run_outage

FIRST_OWN_PORT = 54351
ROWS = (
    ("updates", "updates sent"),
    ("acknowledged", "acknowledged (200)"),
    ("handled", "handled (settled)"),
    ("lost", "lost (no reply by the deadline)"),
    ("late", "  of which waiting in the outbox"),
    ("processed_twice", "processed twice"),
    ("duplicate_sends", "duplicate sends"),
    ("due_duplicates", "  of which still due"),
    ("in_flight", "in flight at the fault"),
    ("apologies", "apologies"),
    ("unexpected", "unexpected messages"),
    ("redeliveries", "redeliveries (platform)"),
    ("recovered_in", "all answered, s after the fault"),
    ("seconds", "run time, s"),
)


@contextlib.asynccontextmanager
async def own_postgres() -> AsyncIterator[LocalPostgres]:
    bindir = postgres_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found in /usr/lib/postgresql/*/bin")
    server = LocalPostgres(bindir, free_port(FIRST_OWN_PORT))
    try:
        await asyncio.to_thread(server.init)
        await asyncio.to_thread(server.start)
        yield server
    finally:
        await asyncio.to_thread(server.destroy)


async def kill(args: argparse.Namespace, load: Load, folder: Path) -> Figures:
    if args.db == "sqlite":
        return await run_kill(folder, load)
    if args.url:
        async with fresh_database(args.url) as url:
            return await run_kill(folder, load, url)
    async with own_postgres() as server, fresh_database(server.url) as url:
        return await run_kill(folder, load, url)


async def outage(args: argparse.Namespace, load: Load, folder: Path) -> Figures:
    async with own_postgres() as server:
        return await run_outage(folder, load, server, down=args.down)


def show(results: list[Figures]) -> None:
    names = [f"{f.scenario} ({f.database})" for f in results]
    width = max(len(label) for _, label in ROWS)
    print(f"{'':{width}}  " + "  ".join(f"{name:>17}" for name in names))
    for field, label in ROWS:
        values = [getattr(f, field) for f in results]
        cells = ("-" if value is None else str(value) for value in values)
        print(f"{label:{width}}  " + "  ".join(f"{cell:>17}" for cell in cells))
    for figures in results:
        broken = figures.violations()
        verdict = "; ".join(broken) if broken else "every promise kept"
        print(f"{figures.scenario} ({figures.database}): {verdict}")


async def run(args: argparse.Namespace) -> None:
    load = Load(
        updates=args.updates,
        chats=args.chats,
        concurrency=args.concurrency,
        rate=args.rate,
        deadline=args.deadline,
    )
    results: list[Figures] = []
    for scenario in ("kill", "outage"):
        if args.scenario not in (scenario, "both"):
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-faults-{scenario}.") as folder:
            work = kill if scenario == "kill" else outage
            results.append(await work(args, load, Path(folder)))
    print(
        f"{args.updates} updates from {args.chats} chats, {args.rate:.0f}/s, "
        f"{args.concurrency} posts at a time; fault after 40% acknowledged"
    )
    show(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("kill", "outage", "both"), default="both")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", default="", help="PostgreSQL server for --db postgres")
    parser.add_argument("--updates", type=int, default=240)
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--rate", type=float, default=60.0, help="updates per second")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--deadline", type=float, default=30.0, help="seconds to wait for replies")
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL is down")
    args = parser.parse_args()
    if args.updates > 2000 or args.chats > 500:
        parser.error("bounded: at most 2000 updates from 500 chats")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
