"""Browser tests: Debian's Chromium driven by Playwright against a real `trolyso serve`.

The server is a subprocess on 127.0.0.1 with a fresh SQLite file, filled with a small,
realistic province (two teams, requests in every state, two weeks of questions). Without
/usr/bin/chromium the tests are skipped with a message, except under CI=true, where a
missing browser is a failure (.ci/run installs it).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from intents.places import Places
from storage import create_engine, session_factory
from storage.console_models import MissedQuestionRow, QuestionLogRow
from storage.migrate import upgrade
from storage.models import AuditRow, FieldLogRow, HelpRequestRow, PersonRow, TeamRow

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "console"
OPERATOR = "console:op"
WIDTHS = (375, 1280)
# Missed questions (masked, as stored): one question in three wordings, smaller groups.
SWIMMING = (
    "đăng ký học bơi cho con ở đâu",
    "dang ky hoc boi cho con o dau",
    "cho con đi học bơi đăng ký thế nào",
)
MISSED = (
    *((text, "a") for text in SWIMMING),
    ("mất con mèo thì báo ai", "b"),
    ("mat con meo thi bao ai", "a"),
    ("số điện thoại [số điện thoại] có phải lừa đảo không", "a"),
)
_INHERITED = ("TROLYSO_", "TELEGRAM_", "ZALO_", "DATABASE_URL")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not CHROMIUM.exists():
        message = "browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return {
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@dataclass
class Server:
    """The running console and what the tests need to know about its data."""

    url: str
    env: dict[str, str]
    handles: dict[str, str]
    ref_a: str
    ref_b: str

    def login_link(self, who: str) -> str:
        """A link from `trolyso console login-link`, as an operator would get one."""
        done = subprocess.run(
            [sys.executable, "-m", "bot", "console", "login-link", "--as", self.handles[who]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _seed(url: str, places: Places) -> tuple[dict[str, str], str, str]:
    """Two weeks of a small province, relative to now (the server's clock is real)."""
    rng = random.Random(14)
    now = datetime.now(UTC)
    province = places.provinces()[0]
    commune_a, commune_b = places.communes_in(province.code)[:2]
    engine = create_engine(url)
    async with session_factory(engine).begin() as session:
        teams = [
            TeamRow(
                name=f"Tổ công nghệ số {c.short}",
                commune_code=c.code,
                province_code=c.province_code,
            )
            for c in (commune_a, commune_b)
        ]
        session.add_all(teams)
        await session.flush()
        people = {
            "leader": PersonRow(
                handle="LEADAA", role="leader", team_id=teams[0].id, display_name="Trần Thị Mai"
            ),
            "other": PersonRow(
                handle="LEADBB", role="leader", team_id=teams[1].id, display_name="Lê Văn Hùng"
            ),
            "volunteer": PersonRow(
                handle="VOLUNT",
                role="volunteer",
                team_id=teams[0].id,
                display_name="Phạm Minh Tuấn",
            ),
        }
        session.add_all(people.values())
        await session.flush()
        refs: dict[int, str] = {}
        statuses = [
            "open",
            "open",
            "active",
            "closed",
            "closed",
            "closed",
            "cancelled",
            "unclaimed",
        ]
        number = 0
        for day in range(14):
            for _ in range(rng.randint(2, 6)):
                number += 1
                team = rng.choice(teams)
                created = now - timedelta(days=day, minutes=rng.randint(5, 600))
                status = statuses[number % len(statuses)] if day else "open"
                claimed = (
                    created + timedelta(minutes=rng.randint(2, 40))
                    if status in ("active", "closed")
                    else None
                )
                ref = f"HT{number:04d}AB"
                session.add(
                    HelpRequestRow(
                        ref=ref,
                        citizen_channel="telegram",
                        pseudonym=rng.choice(["Cô Lan", "Chú Ba", "Bác Tư", "Anh Nam"]),
                        team_id=team.id,
                        volunteer_id=people["volunteer"].id if claimed else None,
                        topic=rng.choice(["vneid", "public_services", "cashless_payment"]),
                        commune_code=team.commune_code,
                        province_code=team.province_code,
                        status=status,
                        outcome=rng.choice(["resolved", "partly", None])
                        if status == "closed"
                        else None,
                        created_at=created,
                        last_activity_at=created,
                        first_created_at=created,
                        first_claimed_at=claimed,
                    )
                )
                refs.setdefault(team.id, ref)
            for _ in range(rng.randint(20, 60)):
                action = rng.choices(
                    ["answer", "clarify", "fallback", "helpful", "unhelpful"], [60, 15, 15, 8, 3]
                )[0]
                at = (now - timedelta(days=day, minutes=rng.randint(0, 600))).replace(
                    minute=0, second=0, microsecond=0
                )
                session.add(QuestionLogRow(at=at, channel="telegram", action=action, intent=None))
            if day % 3 == 0:
                session.add(
                    FieldLogRow(
                        day=(now - timedelta(days=day)).date(),
                        commune_code=commune_a.code,
                        province_code=commune_a.province_code,
                        team_id=teams[0].id,
                        citizens_helped=rng.randint(5, 30),
                        services=["vneid_activation"],
                    )
                )
        for hours, (text, commune) in enumerate(MISSED):
            session.add(
                MissedQuestionRow(
                    at=now - timedelta(hours=3 * hours + 1),
                    channel="telegram",
                    reason="fallback" if hours % 3 else "unhelpful",
                    text=text,
                    status="open",
                    commune_code=(commune_a if commune == "a" else commune_b).code,
                    province_code=province.code,
                )
            )
        session.add(
            AuditRow(
                action="role_change",
                at=now - timedelta(days=3),
                target="LEADAA",
                detail={"old": "volunteer", "new": "leader"},
            )
        )
    await engine.dispose()
    handles = {name: row.handle for name, row in people.items()} | {"operator": OPERATOR}
    return handles, refs[teams[0].id], refs[teams[1].id]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, places: Places) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("console-browser")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED)}
    env.update(
        TROLYSO_DATA_DIR=str(folder / "data"),
        TROLYSO_OPERATORS=OPERATOR,
        TROLYSO_PUBLIC_URL=url,
        TROLYSO_LOG_LEVEL="WARNING",
    )
    database = f"sqlite+aiosqlite:///{(folder / 'data').resolve() / 'trolyso.db'}"
    (folder / "data").mkdir()
    upgrade(database)
    handles, ref_a, ref_b = asyncio.run(_seed(database, places))
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError((folder / "serve.log").read_text())
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("trolyso serve did not start")
            time.sleep(0.1)
        yield Server(url, env, handles, ref_a, ref_b)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def chromium(server: Server, browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    """Chromium for one module. Playwright's sync API runs an event loop while it is open, so
    it lives only as long as this module's tests (which are all synchronous): pytest-asyncio
    tests elsewhere then never share a session with it. The server starts first (its set-up
    uses asyncio.run)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**browser_type_launch_args)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and a page, per test."""
    context = chromium.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
