"""A Telegram runtime on the real core and database, talking to the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.channels.telegram.runtime import TelegramRuntime
from bot.services import Bot
from bot.support.common import SupportConfig
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import TelegramPerson

SECRET = "s3cret-token_for-tests"
OPERATOR_CHAT = 5550005


@pytest.fixture
def config() -> SupportConfig:
    """The operator of these tests is on Telegram (TROLYSO_OPERATORS=telegram:<chat id>)."""
    return SupportConfig(operators=frozenset({f"telegram:{OPERATOR_CHAT}"}))


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI()


@pytest.fixture
async def runtime(bot: Bot, api: FakeBotAPI) -> AsyncIterator[TelegramRuntime]:
    runtime = TelegramRuntime(bot, "123456:TEST-TOKEN", SECRET, request=api, rate_limit=False)
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def telegram_people(runtime: TelegramRuntime, api: FakeBotAPI) -> Callable[[int], TelegramPerson]:
    def make(chat_id: int) -> TelegramPerson:
        return TelegramPerson(runtime, api, chat_id)

    return make
