"""Shared fixtures: the real shipped content, a matcher built from it, a dialogue on a fresh store.

Tests never touch the network: any attempt to open a connection fails the test loudly.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import NoReturn

import pytest

from bot.dialogue import Dialogue
from bot.messages import ConversationKey
from bot.services import build_matcher
from bot.state import ConversationState
from content import Content, load_content
from intents import Matcher
from storage import InMemoryStore

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        pytest.fail("Network access disallowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def matcher(content: Content) -> Matcher:
    return build_matcher(content)


@pytest.fixture
def store() -> InMemoryStore[ConversationKey, ConversationState]:
    return InMemoryStore(ConversationState)


@pytest.fixture
def dialogue(
    content: Content, matcher: Matcher, store: InMemoryStore[ConversationKey, ConversationState]
) -> Dialogue:
    return Dialogue(content, matcher, store)
