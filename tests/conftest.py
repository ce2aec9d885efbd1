"""Shared fixtures: the real shipped content, a matcher built from it, a dialogue on a fresh store.

Tests never touch the network: any attempt to open a connection fails the test loudly.
"""

from __future__ import annotations

import socket
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
