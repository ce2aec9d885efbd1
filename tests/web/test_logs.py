"""Logs never carry a citizen's words: JSON lines, text lines, and at DEBUG level too."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.telegram.runtime import TelegramRuntime
from bot.logs import (
    QUIET_LIBRARIES,
    SERVER_LOGGERS,
    JsonFormatter,
    TextFormatter,
    configure_logging,
)
from bot.services import Bot
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import TelegramPerson
from tests.channels.zalo_bot import CHAT, harness

PHONE = "0912345678"
WORDS = f"Toi la Tran Thi Binh, so cua toi {PHONE}, cach cai vneid"


@contextlib.contextmanager
def fresh_logging() -> Iterator[None]:
    """An unconfigured root logger for `configure_logging`, restored afterwards (the test
    runner's own capture handlers are put back)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = [*QUIET_LIBRARIES, *SERVER_LOGGERS]
    named = {n: (logging.getLogger(n).level, logging.getLogger(n).propagate) for n in names}
    root.handlers.clear()
    try:
        yield
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, (level, propagate) in named.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).propagate = propagate


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_handling_updates_at_debug_level_logs_no_citizen_text(bot: Bot) -> None:
    """Both network channels, a message with a name and a phone number, everything at DEBUG
    (the libraries included): every line is JSON and none carries the words."""
    stream = io.StringIO()
    with fresh_logging():
        assert configure_logging("DEBUG", "json", stream)
        async with harness(bot) as channel:
            answer = await channel.person().say(WORDS)
        api = FakeBotAPI()
        runtime = TelegramRuntime(bot, "123456:TEST-TOKEN", "secret", request=api)
        await runtime.start()
        try:
            await TelegramPerson(runtime, api, 5550002).say(WORDS)
        finally:
            await runtime.stop()
    assert "VNeID" in answer
    assert "VNeID" in api.texts(5550002)[0]
    records = lines_of(stream)  # each line parses: one JSON object per line
    assert len(records) > 5
    text = stream.getvalue()
    for part in (PHONE, "Tran Thi Binh", "cach cai vneid", "VNeID"):
        assert part not in text, part
    assert CHAT not in text
    for entry in records:
        assert {"time", "level", "logger", "message"} <= set(entry)
        assert entry["time"].endswith("+00:00")
    handled = [e for e in records if e["message"].startswith("update handled")]
    assert {e["channel"] for e in handled} == {"zalobot", "telegram"}
    for entry in handled:
        assert entry["level"] == "INFO"
        assert entry["update_id"]
        assert 0 < entry["latency_ms"] < 10_000


def _record(error: BaseException | None = None, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("bot.test", logging.ERROR, __file__, 1, "failed %s", ("x",), None)
    if error is not None:
        record.exc_info = (type(error), error, error.__traceback__)
    record.__dict__.update(extra)
    return record


def _raised(message: str) -> BaseException:
    try:
        try:
            raise OSError("inner " + message)
        except OSError as inner:
            raise ValueError(message) from inner
    except ValueError as error:
        return error


def test_json_lines_have_the_extras_and_no_exception_message() -> None:
    error = _raised(f"INSERT ... ('{WORDS}')")
    entry = json.loads(
        JsonFormatter().format(
            _record(error, update_id="77", channel="telegram", latency_ms=12.5, text="x")
        )
    )
    assert entry["message"] == "failed x"
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "bot.test"
    assert (entry["update_id"], entry["channel"], entry["latency_ms"]) == ("77", "telegram", 12.5)
    assert "text" not in entry  # only the known extras
    assert entry["exc_type"] == "ValueError <- OSError"
    assert "_raised" in entry["stack"]
    assert PHONE not in json.dumps(entry)


def test_plain_lines_keep_the_stack_and_drop_the_exception_message() -> None:
    error = _raised(f"platform echoed: {WORDS}")
    record = _record(error)
    record.exc_text = f"Traceback ... ValueError: {WORDS}"  # what another handler cached
    line = TextFormatter().format(record)
    assert "failed x" in line
    assert "ValueError" in line
    assert "OSError" in line
    assert "_raised" in line
    assert PHONE not in line
    assert record.exc_text == f"Traceback ... ValueError: {WORDS}"  # left as it was


def test_an_already_configured_root_logger_is_left_alone() -> None:
    root = logging.getLogger()
    handlers = root.handlers[:]
    assert handlers  # pytest's capture handlers
    assert configure_logging("DEBUG", "json") is False
    assert root.handlers == handlers


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_libraries_that_print_payloads_stay_quiet_at_debug(fmt: str) -> None:
    stream = io.StringIO()
    with fresh_logging():
        configure_logging("DEBUG", fmt, stream)
        logging.getLogger("aiosqlite").debug("executing INSERT (%r)", WORDS)
        logging.getLogger("telegram.ext").debug("Calling sendMessage %s", WORDS)
        logging.getLogger("httpx").info("HTTP Request: POST https://api/bot123:AAA/getMe")
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("bot.test").debug("our own debug line")
    text = stream.getvalue()
    assert WORDS not in text
    assert "bot123" not in text
    assert "Started server process" in text  # the server's lines come through our handler
    assert "our own debug line" in text
    if fmt == "json":
        assert [e["logger"] for e in lines_of(stream)] == ["uvicorn.error", "bot.test"]
