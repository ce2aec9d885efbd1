"""Benchmark the Telegram webhook: how fast the route acknowledges, how fast updates are answered.

Drives `POST /telegram/webhook` of the real Starlette application through an in-process ASGI
client, with a fake Bot API (nothing leaves the machine), on a temporary SQLite file (or
--url). Prints the acknowledgement latency (store the update, answer 200: what Telegram's
60 s and Zalo's 2 s budgets are about) and the throughput of full processing (match, state,
outbox, send), for many citizens writing at once and then for one chat's burst, whose
updates must stay in order.

The machine is shared and noisy: read the order of magnitude, not the last digit.

Usage: python bench/bench_webhook.py [--updates 400] [--chats 50] [--url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the fake Bot API of the tests

from bot.channels.telegram.runtime import SECRET_HEADER, TelegramRuntime
from bot.services import compose
from bot.settings import Settings
from bot.web.app import create_app
from storage.migrate import upgrade
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import for_chat, sample

QUESTIONS = [
    "cach kich hoat tai khoan dinh danh dien tu muc 2",
    "lam sao de cai vneid",
    "ngay chuyen doi so quoc gia la ngay nao",
    "quen mat khau dich vu cong",
    "chuyen khoan bi lua thi lam gi",
]
SECRET = "bench-secret"


async def run(updates: int, chats: int, url: str) -> None:
    settings = Settings(database_url=SecretStr(url))
    services = compose(settings)
    api = FakeBotAPI()
    runtime = TelegramRuntime(services.bot, "1:BENCH", SECRET, request=api, rate_limit=False)
    await runtime.start()
    app = create_app(services.bot, [runtime])
    transport = httpx.ASGITransport(app=app)
    bodies = []
    for number in range(updates):
        data = for_chat(sample("text_message"), 9_000_000 + number % chats)
        data["message"]["text"] = QUESTIONS[number % len(QUESTIONS)]
        bodies.append(json.dumps(data))
    acks: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        for body in bodies:
            before = time.perf_counter()
            response = await client.post(
                "/telegram/webhook", content=body, headers={SECRET_HEADER: SECRET}
            )
            acks.append(time.perf_counter() - before)
            assert response.status_code == 200
        acked = time.perf_counter() - started
        for _ in range(60_000):  # polls the fake API: no event to wait on
            if len(api.sent(method="sendMessage")) >= updates:
                break
            await asyncio.sleep(0.01)
        done = time.perf_counter() - started
        redelivered = time.perf_counter()
        for body in bodies[:100]:  # Telegram retrying: answered from the inbox, not processed
            await client.post("/telegram/webhook", content=body, headers={SECRET_HEADER: SECRET})
        duplicate_ms = (time.perf_counter() - redelivered) / 100 * 1000
    await asyncio.sleep(0.2)
    assert len(api.sent(method="sendMessage")) == updates, "a redelivery was answered twice"
    acks_ms = sorted(a * 1000 for a in acks)
    print(f"updates {updates} from {chats} chats, database {url.split(':')[0]}")
    print(
        f"ack latency: median {statistics.median(acks_ms):.1f} ms, "
        f"p95 {acks_ms[int(len(acks_ms) * 0.95)]:.1f} ms, max {acks_ms[-1]:.1f} ms"
    )
    print(f"all acknowledged in {acked:.2f} s; all answered in {done:.2f} s")
    print(f"throughput: {updates / done:.0f} answered updates/s")
    print(f"redelivery (duplicate) handled in {duplicate_ms:.2f} ms each, no second reply")
    await runtime.stop()
    await services.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        asyncio.run(run(args.updates, args.chats, url))


if __name__ == "__main__":
    main()
