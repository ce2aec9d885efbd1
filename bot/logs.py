"""Logging without the citizen's words: failures, formats and the one place logging is set up.

An exception's message can carry what was being stored or sent (a database driver quotes the
query's arguments, a platform error echoes the text). Failures are logged with the exception's
type and the stack, never its message: enough to find the bug, nothing a citizen wrote. The
formatters below apply the same rule to every `logger.exception(...)`, in both log formats.

Chat and user ids are personal data too (Law 91/2025): a log line names a chat by
`hashed_id(chat)`, a keyed hash that is stable within a deployment (lines about one chat can be
followed) and useless outside it (without the key, a hash cannot be matched to an id, nor an id
enumerated into it). The key is set once by `configure_logging` from `Settings.log_hash_key()`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["JsonFormatter", "TextFormatter", "configure_logging", "hashed_id", "log_failure"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Fields a log call may add with `extra=`; the JSON format writes them when present.
EXTRA_FIELDS = ("update_id", "channel", "latency_ms")
# uvicorn's own loggers; routed through the root handler so every line has one format.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# Libraries whose verbose levels print what passes through them, kept above those levels even
# at TROLYSO_LOG_LEVEL=DEBUG: httpx logs each URL at INFO (the Telegram and Zalo Bot tokens
# are in the path); at DEBUG aiosqlite prints each query's arguments and python-telegram-bot
# each call's parameters (messages' text, both ways).
QUIET_LIBRARIES = {
    "httpx": logging.WARNING,
    "httpcore": logging.INFO,
    "aiosqlite": logging.INFO,
    "telegram": logging.INFO,
}


HASH_CHARS = 10  # 40 bits: enough to tell a deployment's chats apart in its logs


class _LogKey:
    """The key of `hashed_id`. Logging is process-wide, so is its key: until an entry point
    sets it, a random one (hashes stable only within this process, never the raw id)."""

    value: bytes = secrets.token_bytes(32)


def hashed_id(value: object) -> str:
    """A chat, user or platform id as it may appear in a log line: a short keyed hash."""
    if value is None or value == "":
        return "none"
    digest = hmac.new(_LogKey.value, str(value).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return digest.hexdigest()[:HASH_CHARS]


def log_failure(logger: logging.Logger, message: str, *args: object, error: BaseException) -> None:
    """Log `message % args` at ERROR with the error's type and stack, not its message."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error(message + " error=%s\n%s", *args, type(error).__name__, stack.rstrip())


def _chain(error: BaseException) -> list[BaseException]:
    """The error and what caused it, outermost first (as far as five deep)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def exception_types(error: BaseException) -> str:
    """ "NetworkError <- ConnectError": the types of the chain, without their messages."""
    return " <- ".join(type(e).__name__ for e in _chain(error))


def exception_stack(error: BaseException) -> str:
    """Where it happened: the frames of each exception in the chain, innermost cause first."""
    parts = []
    for link in reversed(_chain(error)):
        frames = "".join(traceback.format_tb(link.__traceback__)).rstrip()
        parts.append(f"{frames}\n{type(link).__name__}" if frames else type(link).__name__)
    return "\n".join(parts)


def _error_of(record: logging.LogRecord) -> BaseException | None:
    if record.exc_info and record.exc_info[1] is not None:
        return record.exc_info[1]
    return None


class TextFormatter(logging.Formatter):
    """The plain format; an exception shows its type and stack, never its message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        # Never reuse the text another handler cached on the record (it has the message).
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: Any) -> str:
        error = ei[1] if ei and len(ei) > 1 else None
        if not isinstance(error, BaseException):
            return ""
        return f"{exception_stack(error)}\n(message left out: {exception_types(error)})"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the known extras.

    The message is the formatted log message, which by design never contains a citizen's
    text; an exception adds its type and stack, never its message.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        error = _error_of(record)
        if error is not None:
            entry["exc_type"] = exception_types(error)
            entry["stack"] = exception_stack(error)
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    level: str, log_format: str = "text", stream: TextIO | None = None, *, key: bytes | None = None
) -> bool:
    """Set up logging once for any entry point (`trolyso ...`, uvicorn's app factory).

    Like `logging.basicConfig`, it leaves an already configured root logger alone (a test
    runner, an application embedding the bot) and says whether it configured anything.
    `key` (the deployment's, from `Settings.log_hash_key()`) is used by `hashed_id` either way.
    """
    if key is not None:
        _LogKey.value = key
    root = logging.getLogger()
    configured = not root.handlers
    if configured:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
        root.addHandler(handler)
        root.setLevel(level)
        for name in SERVER_LOGGERS:
            server = logging.getLogger(name)
            server.handlers.clear()
            server.propagate = True
    for name, floor in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    return configured
