"""Benchmark a campaign: throughput and time to the last message, beside the rate limit.

Runs the real `trolyso serve` as a subprocess behind a fake Zalo Bot platform on loopback
(tests/features/campaigns/process.py: nothing leaves the machine). N subscribers of one
commune are written into a fresh database, the campaign is started with
`trolyso broadcast`, and the server's Worker sends it through the send budget shared by
all workers (TROLYSO_SEND_RATES=zalobot=<rate>). Optionally the server is SIGKILLed once a
share of the messages arrived, and restarted.

Prints, per run: the configured rate (the baseline: N / rate seconds is the best possible
time), the measured throughput (first to last message), the time from the start to the
last message, the busiest wall-clock second seen by the platform, duplicates, and the
delivery summary.

Usage: python bench/bench_campaign.py [--subscribers 10000] [--rate 30]
       [--db sqlite|postgres] [--url postgresql+asyncpg://...] [--kill-at 0.5]
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

from tests.faults.postgres import fresh_database
from tests.features.campaigns.process import CampaignFigures, run_campaign


@contextlib.asynccontextmanager
async def database(kind: str, url: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield ""
        return
    if not url:
        raise SystemExit("--db postgres needs --url postgresql+asyncpg://user@host:port/db")
    async with fresh_database(url) as fresh:
        yield fresh


def report(figures: CampaignFigures, kind: str) -> str:
    best = figures.subscribers / figures.rate
    summary = figures.summary
    rows = [
        ("database", kind),
        ("subscribers", str(figures.subscribers)),
        ("configured rate, msg/s", str(figures.rate)),
        ("baseline time (N / rate), s", f"{best:.1f}"),
        ("throughput, msg/s", f"{figures.throughput:.2f}"),
        ("time to last message, s", f"{figures.to_last:.1f}"),
        ("  vs baseline", f"{figures.to_last / best:.2f}x"),
        ("busiest second (platform)", str(figures.busiest_second)),
        ("busiest 10 s window", str(figures.busiest_ten_seconds)),
        ("killed after (messages)", "-" if figures.killed_at is None else str(figures.killed_at)),
        ("received / distinct chats", f"{figures.received} / {figures.distinct}"),
        ("chats messaged twice", str(figures.twice)),
        ("sent", str(summary.sent)),
        ("failed", ", ".join(f"{k}={v}" for k, v in sorted(summary.failed.items())) or "0"),
        ("skipped", ", ".join(f"{k}={v}" for k, v in sorted(summary.skipped.items())) or "0"),
        ("pending", str(summary.pending)),
        ("run time, s", f"{figures.seconds:.1f}"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


async def main(args: argparse.Namespace) -> int:
    deadline = args.subscribers / args.rate * 3 + 60  # a busy machine may be slower
    async with database(args.db, args.url) as url:
        with tempfile.TemporaryDirectory(prefix="bench-campaign-") as folder:
            figures = await run_campaign(
                Path(folder),
                args.subscribers,
                database_url=url,
                rate=args.rate,
                kill_at=args.kill_at,
                deadline=deadline,
            )
    print(report(figures, args.db))
    return 0 if figures.twice == 0 and figures.summary.pending == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=30, help="TROLYSO_SEND_RATES for zalobot")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", default="", help="a PostgreSQL server for --db postgres")
    parser.add_argument(
        "--kill-at", type=float, default=None, help="SIGKILL once this share arrived (0-1)"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
