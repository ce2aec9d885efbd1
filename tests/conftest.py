"""Shared fixtures: the real shipped content, a matcher built from it, a dialogue on a fresh store.

Tests never touch the network: any attempt to open a connection fails the test loudly.

Two rules about what may be skipped. Under CI (`CI=true`, set by .ci/run) a PostgreSQL test
that would skip (no TROLYSO_TEST_POSTGRES_URL, no server binaries) fails instead: a green CI
run has run them. Tests marked `charts` need the optional `charts` extra (matplotlib) and skip
with a message saying how to install it when it is missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
from collections.abc import Generator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from bot.dialogue import Dialogue
from bot.messages import ConversationKey
from bot.services import build_matcher
from bot.state import ConversationState
from content import Content, load_content
from intents import Matcher
from intents.places import Places
from storage import InMemoryStore

DATA = Path(__file__).parent / "data"


CHARTS_MISSING = "the charts extra is not installed: `.venv/bin/pip install -e '.[charts]'`"


def under_ci() -> bool:
    """CI sets CI=true (GitHub Actions, GitLab and .ci/run all do)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def charts_installed() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


BROWSER_TESTS = Path(__file__).parent / "console" / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the `charts` tests, with a message, when matplotlib is not installed. Under
    pytest-xdist (`--dist loadgroup`) the browser tests stay on one worker, in file order:
    they share one console server per session, and one Chromium at a time is enough."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("browser"))
    if charts_installed():
        return
    for item in items:
        if item.get_closest_marker("charts") is not None:
            item.add_marker(pytest.mark.skip(reason=CHARTS_MISSING))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under CI, a PostgreSQL test that skipped has failed: nothing was tested."""
    report = yield
    longrepr = report.longrepr
    xfailed = hasattr(report, "wasxfail")
    if report.skipped and not xfailed and under_ci() and isinstance(longrepr, tuple):
        reason = str(longrepr[2])
        if "PostgreSQL" in reason:
            report.outcome = "failed"
            report.longrepr = f"CI=true: PostgreSQL tests must run, not skip ({reason})"
    return report


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own on the suite's
    server (tests reset their database's schema), made here before any test module reads
    TROLYSO_TEST_POSTGRES_URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    server = os.environ.get("TROLYSO_TEST_POSTGRES_URL", "")
    if worker and server:
        os.environ["TROLYSO_TEST_POSTGRES_URL"] = asyncio.run(_own_database(server, worker))


async def _own_database(server: str, worker: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"trolyso_{worker}"
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        await engine.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _is_local(address: object) -> bool:
    """Unix sockets and loopback (the test PostgreSQL server) are not the network."""
    if isinstance(address, (str, bytes)):
        return True
    return isinstance(address, tuple) and bool(address) and address[0] in LOOPBACK


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def refuse(where: object) -> NoReturn:
        pytest.fail(f"Network access disallowed in this test: {where!r}")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_local(address):
            refuse(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_local(address):
            refuse(address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK and host is not None:
            refuse(host)
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def matcher(content: Content) -> Matcher:
    return build_matcher(content)


@pytest.fixture(scope="session")
def places() -> Places:
    return Places.load()


@pytest.fixture
def store() -> InMemoryStore[ConversationKey, ConversationState]:
    return InMemoryStore(ConversationState)


@pytest.fixture
def dialogue(
    content: Content, matcher: Matcher, store: InMemoryStore[ConversationKey, ConversationState]
) -> Dialogue:
    return Dialogue(content, matcher, store)
