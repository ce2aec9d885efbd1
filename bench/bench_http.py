"""CPU per platform call: the Zalo Bot client's `JsonPoster` against httpx, side by side.

Both post the same sendMessage JSON to the fake Zalo Bot platform of the fault tests
(tests/faults/platform.py, a uvicorn server in a thread of this process, on loopback), with
`--in-flight` calls at a time on kept connections, under uvloop as `trolyso serve` runs. The
client's CPU is what a worker pays for every reply it sends; the platform's share is the same
for both and measured once, with a raw socket client that does next to nothing (`floor`).

CPU is this process's (`time.process_time`), minus the floor. The machine is shared and noisy:
read the ratio of the two clients measured in the same run.

Usage: python -m bench.bench_http [--calls 3000] [--in-flight 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
import uvloop

from bot.channels.http_client import JsonPoster
from tests.faults.platform import FakeZaloPlatform

TOKEN = "1234567890:bench-http-token"
PAYLOAD = {"chat_id": "citizen-1", "text": "Dạ, bác làm căn cước tại công an xã. " * 4}
Call = Callable[[], Awaitable[None]]


async def timed(call: Call, calls: int, in_flight: int) -> float:
    """CPU milliseconds per call, `in_flight` at a time."""
    slots = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with slots:
            await call()

    await asyncio.gather(*(one() for _ in range(min(200, calls))))  # warm connections
    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(calls)))
    return 1000 * (time.process_time() - started) / calls


async def measure(base: str, calls: int, in_flight: int) -> dict[str, float]:
    url = f"{base}/bot{TOKEN}/sendMessage"
    poster = JsonPoster(base)
    client = httpx.AsyncClient(timeout=15.0)
    body = httpx.Request("POST", url, json=PAYLOAD).content
    host, port = base.removeprefix("http://").split(":")
    raw = (
        f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def floor() -> None:  # the platform's own CPU, with a client that does nothing
        reader, writer = streams.pop() if streams else await asyncio.open_connection(host, port)
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        streams.append((reader, writer))

    async def kept() -> None:
        (await poster.post(f"/bot{TOKEN}/sendMessage", PAYLOAD)).json()

    async def with_httpx() -> None:
        (await client.post(url, json=PAYLOAD)).json()

    try:
        return {
            "floor": await timed(floor, calls, in_flight),
            "JsonPoster": await timed(kept, calls, in_flight),
            "httpx": await timed(with_httpx, calls, in_flight),
        }
    finally:
        await poster.aclose()
        await client.aclose()
        for _, writer in streams:
            writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds: list[dict[str, float]] = []
    with FakeZaloPlatform(TOKEN) as platform:
        for _ in range(args.rounds):
            rounds.append(uvloop.run(measure(platform.base_url, args.calls, args.in_flight)))
    floor = statistics.median(r["floor"] for r in rounds)
    print(f"{args.calls} sendMessage calls x {args.rounds} rounds, {args.in_flight} in flight")
    print(f"platform's share (raw client): {floor:.3f} ms CPU per call")
    own = {
        name: statistics.median(r[name] - r["floor"] for r in rounds)
        for name in ("JsonPoster", "httpx")
    }
    for name, value in own.items():
        print(f"{name:>10}: {value:.3f} ms CPU per call (client's own, median)")
    if own["JsonPoster"] > 0:
        print(f"httpx / JsonPoster: {own['httpx'] / own['JsonPoster']:.0f}x")


if __name__ == "__main__":
    main()
