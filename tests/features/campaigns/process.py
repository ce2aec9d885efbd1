"""A campaign sent by the real server (`python -m bot serve`, a subprocess) through a fake
Zalo Bot platform on loopback, optionally SIGKILLed halfway and restarted.

Shared by tests/features/campaigns/test_kill.py and bench/bench_campaign.py. Subscribers are
written straight into the database (people, their Zalo Bot chat, their opt-in); the campaign
is started with `python -m bot broadcast`, as an operator would; the server's Worker sends
it. Figures come from the platform's record (what arrived, when) and the database (each
recipient's state).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from storage import create_engine, session_factory
from storage.campaign_models import CampaignRecipientRow, SubscriptionRow
from storage.campaigns import CampaignRepository, Summary
from storage.db import sqlite_url
from storage.migrate import upgrade
from storage.models import IdentityRow, PersonRow
from tests.faults.harness import TOKEN, ServerProcess, server_env
from tests.faults.platform import FakeZaloPlatform
from tests.faults.postgres import free_port

__all__ = ["CampaignFigures", "run_campaign"]

COMMUNE, PROVINCE = "Xã Ia Grai", "Gia Lai"
TEXT = "Thứ Bảy này tổ công nghệ số cộng đồng hướng dẫn cài VNeID tại nhà văn hóa xã."


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    subscribers: int
    rate: int  # the configured send rate (messages a second)
    received: int  # messages the platform received
    distinct: int  # distinct chats among them
    twice: int  # chats that received it more than once
    busiest_second: int  # most messages the platform received in one wall-clock second
    busiest_ten_seconds: int  # most in any 10 s window
    throughput: float  # messages a second from the first to the last
    to_last: float  # seconds from the campaign's start to the last message
    killed_at: int | None  # messages received when the server was killed
    summary: Summary
    sent_rows: frozenset[str]  # chats whose row says sent
    interrupted_rows: frozenset[str]  # chats whose row says failed "interrupted"
    received_chats: frozenset[str]
    seconds: float


async def _seed(url: str, subscribers: int, commune_code: str, province_code: str) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine).begin() as session:
            people = [
                {
                    "handle": f"S{n:06d}",
                    "role": "citizen",
                    "created_at": now,
                    "commune_code": commune_code,
                }
                for n in range(subscribers)
            ]
            await session.execute(insert(PersonRow), people)
            ids = list(
                (await session.execute(select(PersonRow.id).order_by(PersonRow.id))).scalars()
            )
            await session.execute(
                insert(IdentityRow),
                [
                    {
                        "person_id": pid,
                        "channel": "zalobot",
                        "external_id": f"sub{n:06d}",
                        "last_seen_at": now,
                    }
                    for n, pid in enumerate(ids)
                ],
            )
            await session.execute(
                insert(SubscriptionRow),
                [
                    {
                        "person_id": pid,
                        "commune_code": commune_code,
                        "province_code": province_code,
                        "channel": "zalobot",
                        "created_at": now,
                    }
                    for pid in ids
                ],
            )
    finally:
        await engine.dispose()


async def _state(url: str) -> tuple[Summary, dict[str, str], str]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            repository = CampaignRepository(session)
            [campaign] = await repository.recent()
            summary = await repository.summary(campaign.id)
            rows = await session.execute(
                select(
                    CampaignRecipientRow.external_id,
                    CampaignRecipientRow.state,
                    CampaignRecipientRow.reason,
                )
            )
            states = {str(chat): f"{state}:{reason or ''}" for chat, state, reason in rows}
            return summary, states, campaign.status
    finally:
        await engine.dispose()


def _busiest_second(wall: list[float]) -> int:
    return max(Counter(int(at) for at in wall).values(), default=0)


def _busiest_window(times: list[float], width: float) -> int:
    """Most messages in any `width`-second window (two pointers over sorted times)."""
    best, low = 0, 0
    for high, at in enumerate(times):
        while at - times[low] >= width:
            low += 1
        best = max(best, high - low + 1)
    return best


async def run_campaign(
    folder: Path,
    subscribers: int,
    *,
    database_url: str = "",
    rate: int = 30,
    kill_at: float | None = 0.5,
    deadline: float = 120.0,
) -> CampaignFigures:
    """Seed, start with `trolyso broadcast`, serve (SIGKILL once `kill_at` of the subscribers
    were reached, then restart), wait until the campaign is done or `deadline` seconds."""
    from intents.places import Places

    places = Places.load()
    commune = places.search(f"{COMMUNE} {PROVINCE}").candidates[0]
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    url = database_url or sqlite_url(data)
    await asyncio.to_thread(upgrade, url)
    await _seed(url, subscribers, commune.code, commune.province_code)
    started = time.monotonic()
    offset = time.time() - time.monotonic()
    killed_at: int | None = None
    with FakeZaloPlatform(TOKEN) as platform:
        env = server_env(platform.base_url, data, database_url)
        env["TROLYSO_SEND_RATES"] = f"zalobot={rate}"
        text_file = folder / "tin.txt"
        text_file.write_text(TEXT, encoding="utf-8")
        command = [sys.executable, "-m", "bot", "broadcast", "--province", PROVINCE]
        command += ["--commune", COMMUNE, "--text-file", str(text_file)]
        done = await asyncio.to_thread(
            subprocess.run, command, env=env, cwd=folder, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"broadcast failed: {done.stderr}")
        campaign_start = time.monotonic()
        server = ServerProcess(env, free_port(), folder / "server.log")
        await server.start()
        try:
            until = time.monotonic() + deadline
            while time.monotonic() < until:
                arrived = len(platform.sent())
                if kill_at is not None and killed_at is None and arrived >= subscribers * kill_at:
                    server.kill()
                    killed_at = len(platform.sent())
                    await server.start()
                _, _, status = await _state(url)
                if status == "done":
                    break
                await asyncio.sleep(0.2)
        finally:
            await server.stop()
        messages = [m for m in platform.sent() if m.chat.startswith("sub")]
    summary, states, _ = await _state(url)
    chats = Counter(m.chat for m in messages)
    first = messages[0].at if messages else campaign_start
    last = messages[-1].at if messages else campaign_start
    return CampaignFigures(
        subscribers=subscribers,
        rate=rate,
        received=len(messages),
        distinct=len(chats),
        twice=sum(1 for n in chats.values() if n > 1),
        busiest_second=_busiest_second([m.at + offset for m in messages]),
        busiest_ten_seconds=_busiest_window(sorted(m.at for m in messages), 10.0),
        throughput=(len(messages) - 1) / (last - first) if last > first else 0.0,
        to_last=last - campaign_start,
        killed_at=killed_at,
        summary=summary,
        sent_rows=frozenset(c for c, s in states.items() if s == "sent:"),
        interrupted_rows=frozenset(c for c, s in states.items() if s == "failed:interrupted"),
        received_chats=frozenset(chats),
        seconds=time.monotonic() - started,
    )
