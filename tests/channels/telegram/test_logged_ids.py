"""Chat and user ids are personal data (Law 91/2025): logs name a chat by a keyed hash only.

A realistic Telegram flow at DEBUG, with the log lines that name a chat (each handled
update, a menu Telegram refused, a crash while handling): the raw ids never appear, the
deployment's hash of each does, and another key gives other hashes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest

from bot.chatqueue import ChatQueue
from bot.logs import configure_logging, hashed_id
from bot.services import Bot
from bot.settings import Settings
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import TelegramPerson
from tests.web.test_logs import fresh_logging, lines_of

CITIZEN, OPERATOR = 5550042, 5550005  # OPERATOR is configured in this folder's conftest
KEY, OTHER_KEY = b"k" * 32, b"o" * 32


async def test_logs_name_chats_by_a_keyed_hash_never_by_their_ids(
    bot: Bot,
    api: FakeBotAPI,
    telegram_people: Callable[[int], TelegramPerson],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    citizen, operator = telegram_people(CITIZEN), telegram_people(OPERATOR)
    stream = io.StringIO()
    with fresh_logging():
        assert configure_logging("DEBUG", "json", stream, key=KEY)
        [answer] = await citizen.say("cach kich hoat tai khoan dinh danh dien tu muc 2")
        handle = "".join(await citizen.say("/toi")).split("Mã của anh/chị: ")[1].split()[0]
        api.fail("setMyCommands", 400, "Bad Request: chat not found")
        await operator.say("/start")  # an operator's menu is set after the answer: refused
        working = bot.answer

        async def crash(*args: object, **kwargs: object) -> object:
            raise RuntimeError("a bug while handling")

        monkeypatch.setattr(bot, "answer", crash)
        await citizen.say("xin chao")
        monkeypatch.setattr(bot, "answer", working)
        ours = {chat: hashed_id(chat) for chat in (CITIZEN, str(CITIZEN), OPERATOR)}
    assert "VNeID" in answer
    text = stream.getvalue()
    for raw in (str(CITIZEN), str(OPERATOR), handle):
        assert raw not in text, raw
    messages = [entry["message"] for entry in lines_of(stream)]
    assert ours[CITIZEN] == ours[str(CITIZEN)]  # the same chat, however its id is typed
    handled = [m for m in messages if m.startswith("update handled channel=telegram")]
    assert len(handled) == 3  # the question, /toi, the operator's /start
    assert sum(f"chat={ours[CITIZEN]} " in m for m in handled) == 2
    assert sum(f"chat={ours[OPERATOR]} " in m for m in handled) == 1
    assert [m for m in messages if m.startswith("menu not set")] == [
        f"menu not set chat_id={ours[OPERATOR]} error=Chat not found"
    ]
    [failed] = [m for m in messages if m.startswith("update failed")]
    assert f"chat_id={ours[CITIZEN]} error=RuntimeError" in failed
    # Stable within the deployment (the same key), useless outside it (another key).
    with fresh_logging():
        configure_logging("DEBUG", key=KEY)
        assert hashed_id(CITIZEN) == ours[CITIZEN]
        configure_logging("DEBUG", key=OTHER_KEY)
        assert hashed_id(CITIZEN) != ours[CITIZEN]
        assert len(hashed_id(CITIZEN)) == 10
        assert hashed_id(None) == "none"


async def test_a_failed_queued_job_names_its_chat_by_the_hash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Zalo's runtimes queue each chat's work: a crash there is logged with the chat's hash."""
    configure_logging("DEBUG", key=KEY)
    queue = ChatQueue(name="zalobot event")

    async def crash() -> None:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.ERROR):
        await queue.run("8832741190026", crash)
    [record] = caplog.records
    assert record.getMessage().startswith(
        f"zalobot event failed chat={hashed_id('8832741190026')} error=RuntimeError\n"
    )
    assert "8832741190026" not in caplog.text


ENV = ("TROLYSO_LOG_KEY", "TELEGRAM_BOT_TOKEN", "DATABASE_URL", "TROLYSO_DATABASE_URL")


def test_the_log_key_is_the_operators_or_derived_from_the_deployments_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def key(**env: str) -> bytes:
        """The key a deployment with these environment variables (and no .env) gets."""
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return Settings(_env_file=None).log_hash_key()  # type: ignore[call-arg]

    own = key(TROLYSO_LOG_KEY="chosen by the operator", TELEGRAM_BOT_TOKEN="1:A")
    assert own == key(TROLYSO_LOG_KEY="chosen by the operator")  # secrets may rotate
    derived = key(TELEGRAM_BOT_TOKEN="1:A")
    assert derived == key(TELEGRAM_BOT_TOKEN="1:A")  # every replica and restart agrees
    assert derived != key(TELEGRAM_BOT_TOKEN="1:B")
    assert derived != own
    with_password = key(DATABASE_URL="postgresql://bot:pw@db/bot")
    assert with_password == key(DATABASE_URL="postgresql://bot:pw@db/bot")
    assert with_password != key(DATABASE_URL="postgresql://bot:other@db/bot")
    # Nothing secret to derive it from (a URL without a password is not): a random key.
    for env in ({}, {"DATABASE_URL": "postgresql://bot@db/bot"}):
        assert key(**env) != key(**env)
        assert len(key(**env)) == 32


@pytest.fixture(autouse=True)
def _restore_log_key() -> Iterator[None]:
    """`configure_logging(key=...)` sets the process's key: put the previous one back."""
    from bot import logs

    saved = logs._LogKey.value
    yield
    logs._LogKey.value = saved
