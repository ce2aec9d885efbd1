"""Benchmark a webhook in-process: how fast the route acknowledges, how fast updates are answered.

Drives the webhook route (`--channel telegram`, or `zalobot`) of the real Starlette application
through an in-process ASGI client, with a fake platform API (nothing leaves the machine), on a
temporary SQLite file (or --url). Prints the acknowledgement latency p50/p95/p99 (store the
update, answer 200: what Telegram's 60 s and Zalo's 2 s budgets are about), the throughput of
full processing (match, state, outbox, send), the CPU seconds per update of this process
(client included), and the SQL statements and transactions per update, by statement shape
(bench/sql_count.py).

The machine is shared and noisy: read the order of magnitude, not the last digit.

Usage: python bench/bench_webhook.py [--updates 400] [--chats 50] [--url ...]
       [--channel telegram|zalobot] [--in-flight 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the fake Bot API of the tests

from bench.sql_count import counting
from bot.channels.telegram.runtime import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from bot.channels.telegram.runtime import TelegramRuntime
from bot.channels.zalo_bot.runtime import SECRET_HEADER as ZALOBOT_SECRET_HEADER
from bot.channels.zalo_bot.runtime import WEBHOOK_PATH as ZALOBOT_WEBHOOK
from bot.services import Bot, compose
from bot.settings import Settings
from bot.web.app import create_app
from storage.migrate import upgrade
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import for_chat, sample
from tests.channels.zalo_bot import FakeZaloBotApi, make_runtime, text_event

QUESTIONS = [
    "cach kich hoat tai khoan dinh danh dien tu muc 2",
    "lam sao de cai vneid",
    "ngay chuyen doi so quoc gia la ngay nao",
    "quen mat khau dich vu cong",
    "chuyen khoan bi lua thi lam gi",
]
SECRET = "bench-secret"


@dataclass
class Target:
    """One channel's route, its fake platform and how to read what was sent."""

    runtime: Any
    path: str
    headers: dict[str, str]
    bodies: list[str]
    sent: Callable[[], int]


def telegram(bot: Bot, updates: int, chats: int) -> Target:
    api = FakeBotAPI()
    runtime = TelegramRuntime(bot, "1:BENCH", SECRET, request=api, rate_limit=False)
    first = int(time.time() * 1000)  # a database used before knows earlier runs' update ids
    bodies = []
    for number in range(updates):
        data = for_chat(sample("text_message"), 9_000_000 + number % chats, first + number)
        data["message"]["text"] = QUESTIONS[number % len(QUESTIONS)]
        bodies.append(json.dumps(data))
    return Target(
        runtime,
        "/telegram/webhook",
        {TELEGRAM_SECRET_HEADER: SECRET},
        bodies,
        lambda: len(api.sent(method="sendMessage")),
    )


def zalobot(bot: Bot, updates: int, chats: int) -> Target:
    api = FakeZaloBotApi()
    runtime = make_runtime(bot, api, SECRET)
    run = uuid.uuid4().hex[:12]  # a database used before knows earlier runs' message ids
    bodies = [
        json.dumps(
            text_event(QUESTIONS[n % len(QUESTIONS)], f"bench-{n % chats:05d}", f"{run}-{n}")
        )
        for n in range(updates)
    ]
    return Target(
        runtime, ZALOBOT_WEBHOOK, {ZALOBOT_SECRET_HEADER: SECRET}, bodies, lambda: len(api.sent())
    )


async def run(updates: int, chats: int, url: str, channel: str, in_flight: int) -> None:
    settings = Settings(database_url=SecretStr(url))
    services = compose(settings)
    target = (telegram if channel == "telegram" else zalobot)(services.bot, updates, chats)
    runtime = target.runtime
    await runtime.start()
    app = create_app(services.bot, [runtime])
    transport = httpx.ASGITransport(app=app)
    acks: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        with counting() as sql:
            cpu = time.process_time()
            started = time.perf_counter()
            slots = asyncio.Semaphore(in_flight)

            async def post(body: str) -> None:
                async with slots:
                    before = time.perf_counter()
                    response = await client.post(target.path, content=body, headers=target.headers)
                    acks.append(time.perf_counter() - before)
                assert response.status_code == 200

            # Each chat's posts in order (as a platform sends them), chats side by side.
            by_chat: dict[int, list[str]] = {}
            for number, body in enumerate(target.bodies):
                by_chat.setdefault(number % chats, []).append(body)

            async def chat(bodies: list[str]) -> None:
                for body in bodies:
                    await post(body)

            await asyncio.gather(*(chat(bodies) for bodies in by_chat.values()))
            acked = time.perf_counter() - started
            for _ in range(60_000):  # polls the fake API: no event to wait on
                if target.sent() >= updates:
                    break
                await asyncio.sleep(0.01)
            done = time.perf_counter() - started
            cpu = time.process_time() - cpu
        redelivered = time.perf_counter()
        for body in target.bodies[:100]:  # the platform retrying: answered from the inbox
            await client.post(target.path, content=body, headers=target.headers)
        duplicate_ms = (time.perf_counter() - redelivered) / 100 * 1000
    await asyncio.sleep(0.2)
    assert target.sent() == updates, "a redelivery was answered twice"
    acks_ms = sorted(a * 1000 for a in acks)
    print(
        f"{channel}: {updates} updates from {chats} chats, {in_flight} in flight, "
        f"database {url.split(':')[0]}"
    )
    print(
        f"ack latency: p50 {statistics.median(acks_ms):.1f} ms, "
        f"p95 {acks_ms[int(len(acks_ms) * 0.95)]:.1f} ms, "
        f"p99 {acks_ms[int(len(acks_ms) * 0.99)]:.1f} ms, max {acks_ms[-1]:.1f} ms"
    )
    print(f"all acknowledged in {acked:.2f} s; all answered in {done:.2f} s")
    print(f"throughput: {updates / done:.0f} answered updates/s")
    print(f"CPU: {cpu / updates * 1000:.2f} ms per update (this process, client included)")
    print(sql.report(updates))
    print(f"redelivery (duplicate) handled in {duplicate_ms:.2f} ms each, no second reply")
    await runtime.stop()
    await services.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--url", default="")
    parser.add_argument("--channel", choices=["telegram", "zalobot"], default="telegram")
    parser.add_argument("--in-flight", type=int, default=1, help="posts at a time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        asyncio.run(run(args.updates, args.chats, url, args.channel, args.in_flight))


if __name__ == "__main__":
    main()
