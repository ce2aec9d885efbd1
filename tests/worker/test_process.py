"""`trolyso worker` as a real process, against a fake Zalo Bot platform on loopback.

It runs a due timer and sends what it caused and what waited in the outbox, and stops
cleanly on SIGINT or SIGTERM. Killed (SIGKILL) after the platform accepted a message but
before the row was marked sent, the message is sent again by the next worker, once: sending
is at least once, and the bound is exactly one repeat per message in flight at the kill.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select

from storage import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import HelpRequestRow, OutboxRow, TimerRow
from storage.outbox import OutboxRepository
from storage.timers import TimerRepository
from tests.faults.harness import TOKEN, server_env
from tests.faults.platform import FakeZaloPlatform

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = "5f4e3d2c1b0a99887766"  # a Zalo Bot chat id
WAITING = "💬 Lan: bác thử lại giúp cháu nhé"
LATER = "🔔 Tin nhắn sau"
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], seconds: float = 30.0) -> T:
    """Poll a process's visible effects (another process: there is no event to wait on)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def outbox_of(url: str) -> list[OutboxRow]:
    return asyncio.run(_read(url))[0]


def all_sent(url: str) -> list[OutboxRow] | None:
    """The outbox once every row of it is sent (None before)."""
    rows = outbox_of(url)
    return rows if rows and all(row.status == "sent" for row in rows) else None


async def _seed(url: str, *, timer: bool) -> None:
    """A message waiting in the outbox and, if asked, a request whose give-up time came."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine).begin() as session:
            await OutboxRepository(session).add("zalobot", CITIZEN, WAITING, now=now)
            if timer:
                request = HelpRequestRow(
                    ref="HTWORK",
                    citizen_channel="zalobot",
                    citizen_external_id=CITIZEN,
                    pseudonym="Hoa Sen",
                    topic="vneid",
                    commune_code="23764",
                    province_code="64",
                    status="open",
                    services=[],
                    created_at=now - timedelta(hours=2),
                    last_activity_at=now - timedelta(hours=2),
                )
                session.add(request)
                await session.flush()
                await TimerRepository(session).schedule("giveup", now, request.id)
    finally:
        await engine.dispose()


async def _read(url: str) -> tuple[list[OutboxRow], list[TimerRow], list[HelpRequestRow]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            outbox = list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
            timers = list(await session.scalars(select(TimerRow)))
            requests = list(await session.scalars(select(HelpRequestRow)))
            return outbox, timers, requests
    finally:
        await engine.dispose()


@pytest.fixture
def platform() -> Iterator[FakeZaloPlatform]:
    with FakeZaloPlatform(TOKEN) as fake:
        yield fake


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)
    return url


def start_worker(platform: FakeZaloPlatform, tmp_path: Path, url: str) -> subprocess.Popen[str]:
    env = server_env(platform.base_url, tmp_path / "data", url)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        cwd=tmp_path,  # no .env here
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )


def texts_to(platform: FakeZaloPlatform, chat: str) -> list[str]:
    return [sent.text for sent in platform.sent() if sent.chat == chat]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_worker_runs_a_due_timer_sends_the_outbox_and_stops_cleanly(
    platform: FakeZaloPlatform, tmp_path: Path, database: str, stop: signal.Signals
) -> None:
    asyncio.run(_seed(database, timer=True))
    worker = start_worker(platform, tmp_path, database)
    try:
        wait_for(lambda: len(texts_to(platform, CITIZEN)) >= 2)
        outbox = wait_for(lambda: all_sent(database))
    finally:
        worker.send_signal(stop)
        started = time.monotonic()
        output, _ = worker.communicate(timeout=10)
    assert time.monotonic() - started < 10
    assert worker.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert "worker started channels=zalobot" in output
    assert "worker stopped" in output
    sent = texts_to(platform, CITIZEN)
    assert WAITING in sent
    [given_up_notice] = [text for text in sent if text != WAITING]
    assert "HT-WORK" in given_up_notice  # the timer's work: the request was given up
    assert len(outbox) == 2
    _, timers, [request] = asyncio.run(_read(database))
    assert request.status == "unclaimed"
    assert all(timer.done_at is not None for timer in timers)
    assert len(sent) == 2  # nothing sent twice


def test_a_worker_killed_between_the_send_and_its_record_is_followed_by_one_repeat(
    platform: FakeZaloPlatform, tmp_path: Path, database: str
) -> None:
    asyncio.run(_seed(database, timer=False))
    platform.latency = 20.0  # the platform takes the message, then answers slowly
    first = start_worker(platform, tmp_path, database)
    try:
        wait_for(lambda: texts_to(platform, CITIZEN) == [WAITING])
    finally:
        first.kill()  # after the platform accepted it, before the worker read the answer
        first.communicate(timeout=10)
    [row] = outbox_of(database)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 0, None)
    assert row.lease_until is not None  # reserved until the dead worker's lease runs out

    platform.latency = 0.0
    second = start_worker(platform, tmp_path, database)
    try:
        [row] = wait_for(lambda: all_sent(database))
        assert texts_to(platform, CITIZEN) == [WAITING, WAITING]  # sent again, once
        # A later message goes out in a later round; the first is not repeated again.
        asyncio.run(_seed_later(database))
        wait_for(lambda: len(texts_to(platform, CITIZEN)) == 3)
    finally:
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=10)
    assert second.returncode == 0, output[-3000:]
    assert texts_to(platform, CITIZEN) == [WAITING, WAITING, LATER]


async def _seed_later(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            await OutboxRepository(session).add("zalobot", CITIZEN, LATER, now=datetime.now(UTC))
    finally:
        await engine.dispose()


def test_the_worker_refuses_a_half_configured_channel(tmp_path, monkeypatch, capsys) -> None:
    """The same check as `trolyso serve`: a worker never runs a channel the web cannot."""
    from bot.cli import main

    for name in ("DATABASE_URL", "TELEGRAM_WEBHOOK_SECRET", "ZALO_BOT_TOKEN", "ZALO_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:ABC")
    assert main(["worker"]) == 1
    assert "trolyso worker: TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err
