"""A thin async client for the Zalo Bot platform (the Telegram-like Bot API).

`POST {base}/bot{TOKEN}/{method}` with JSON; every answer is `{ok, result}` or
`{ok: false, error_code, description}`. The token sits in the URL path, so nothing here logs
a URL without masking it, and httpx's own request log is masked too.

Calls go through `JsonPoster` (bot/channels/http_client.py: kept connections, about 1/50 of
httpx's CPU per call), or through httpx when a test passes a transport or the environment
names a proxy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.http_client import (
    JsonPoster,
    PlatformNetworkError,
    PlatformTimeout,
    wants_proxy,
)

__all__ = [
    "DEFAULT_API_BASE",
    "SECRET_MAX_CHARS",
    "SECRET_MIN_CHARS",
    "BotInfo",
    "WebhookInfo",
    "ZaloBotClient",
    "ZaloBotError",
    "check_webhook_secret",
    "mask_token",
]

logger = logging.getLogger(__name__)
DEFAULT_API_BASE = "https://bot-api.zaloplatforms.com"
SECRET_MIN_CHARS, SECRET_MAX_CHARS = 8, 256
# getUpdates answers "408 Request timeout" when nobody wrote during the long poll
# (reported by integrations; the official page could not be read).
POLL_TIMEOUT_CODE = 408
# The "/bot<TOKEN>/" path segment (not the "//bot-api." of the host).
_TOKEN_IN_PATH = re.compile(r"(?<![/.])/bot[^/\s]+/")
_KNOWN_TOKENS: set[str] = set()  # tokens of the clients in this process, masked wherever seen


def mask_token(text: str) -> str:
    """Hide the token in anything that may contain an API URL."""
    for token in _KNOWN_TOKENS:
        text = text.replace(token, "***")
    return _TOKEN_IN_PATH.sub("/bot***/", text)


class _MaskTokens(logging.Filter):
    """httpx logs every request URL at INFO level; the Zalo Bot token is part of that URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_token(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _mask_httpx_logs() -> None:
    """Once per process; httpcore's own debug lines carry no URL path."""
    target = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskTokens) for f in target.filters):
        target.addFilter(_MaskTokens())


def check_webhook_secret(secret: str) -> None:
    """The platform accepts 8-256 characters; refuse anything else before calling it."""
    if not SECRET_MIN_CHARS <= len(secret) <= SECRET_MAX_CHARS:
        raise ValueError(
            f"the webhook secret must be {SECRET_MIN_CHARS}-{SECRET_MAX_CHARS} characters "
            f"(it has {len(secret)})"
        )


class ZaloBotError(Exception):
    """A call that failed: the network, or the platform's refusal (log-safe, no text, no token).

    `status` is the HTTP status (None when no answer arrived), `error_code` and `description`
    what the platform said, `retry_after` the wait it asked for (seconds).
    """

    def __init__(
        self,
        method: str,
        description: str,
        *,
        status: int | None = None,
        error_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.method = method
        self.description = description
        self.status = status
        self.error_code = error_code
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [f"zalobot {self.method}:"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.error_code is not None:
            parts.append(f"error {self.error_code}")
        parts.append(self.description or "no description")
        return " ".join(parts)

    @property
    def code(self) -> int | None:
        """The most specific code known: the platform's, else the HTTP status."""
        if self.error_code is not None:
            return self.error_code
        if self.status is not None and self.status >= 400:
            return self.status
        return None

    @property
    def network(self) -> bool:
        """Nothing came back (connection, timeout): the call may be retried."""
        return self.status is None and self.error_code is None


@dataclass(frozen=True, slots=True)
class BotInfo:
    """What getMe says about the bot."""

    id: str
    account_name: str
    account_type: str
    can_join_groups: bool


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    """What getWebhookInfo says: the registered URL ("" when polling) and when it was set."""

    url: str
    updated_at: str


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


class ZaloBotClient:
    """One bot token; pass `transport` (httpx.MockTransport) to answer calls in tests."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_API_BASE,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        if not token:
            raise ValueError("a Zalo Bot token is required")
        if any(ch <= " " or ch in "/?#" for ch in token):
            raise ValueError("the Zalo Bot token holds spaces or URL characters: copy it again")
        self._token = token
        _KNOWN_TOKENS.add(token)
        self.base_url = base_url.rstrip("/")
        self._poster: JsonPoster | None = None
        self._http: httpx.AsyncClient | None = None
        if transport is None and not wants_proxy():
            self._poster = JsonPoster(self.base_url, timeout=timeout)
        else:
            self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
            _mask_httpx_logs()

    async def aclose(self) -> None:
        if self._poster is not None:
            await self._poster.aclose()
        if self._http is not None:
            await self._http.aclose()

    def url(self, method: str) -> str:
        """The full URL of a method (contains the token: never log it unmasked)."""
        return f"{self.base_url}/bot{self._token}/{method}"

    async def call(
        self,
        method: str,
        payload: Mapping[str, Any] | None = None,
        *,
        read_timeout: float | None = None,
        quiet: frozenset[int] = frozenset(),
    ) -> Any:
        """POST one method; its `result`, or ZaloBotError. Codes in `quiet` are not logged."""
        try:
            status, headers, data = await self._post(method, payload, read_timeout)
        except (httpx.TimeoutException, PlatformTimeout) as error:
            raise self._failed(ZaloBotError(method, f"timeout ({type(error).__name__})")) from None
        except (httpx.RequestError, PlatformNetworkError) as error:
            raise self._failed(
                ZaloBotError(method, f"network error ({type(error).__name__})")
            ) from None
        if not isinstance(data, dict):
            raise self._failed(
                ZaloBotError(method, "the answer is not a JSON object", status=status)
            )
        if 200 <= status < 300 and data.get("ok") is True:
            return data.get("result")
        parameters = data.get("parameters")
        asked = parameters.get("retry_after") if isinstance(parameters, dict) else None
        refused = ZaloBotError(
            method,
            mask_token(str(data.get("description") or ""))[:200],
            status=status,
            error_code=_int_or_none(data.get("error_code")),
            retry_after=_seconds(asked) or _seconds(headers.get("retry-after")),
        )
        if refused.code in quiet:
            raise refused
        raise self._failed(refused)

    async def _post(
        self, method: str, payload: Mapping[str, Any] | None, read_timeout: float | None
    ) -> tuple[int, Mapping[str, str], Any]:
        """Status, headers (lower-case names) and the JSON answer (None when it is not JSON)."""
        body = dict(payload or {})
        if self._poster is not None:
            kept = await self._poster.post(
                f"/bot{self._token}/{method}", body, timeout=read_timeout
            )
            status, headers, read = kept.status, kept.headers, kept.json
        else:
            assert self._http is not None
            extra: dict[str, Any] = {} if read_timeout is None else {"timeout": read_timeout}
            answer = await self._http.post(self.url(method), json=body, **extra)
            status, read = answer.status_code, answer.json
            headers = {name.lower(): value for name, value in answer.headers.items()}
        try:
            return status, headers, read()
        except ValueError:
            return status, headers, None

    @staticmethod
    def _failed(error: ZaloBotError) -> ZaloBotError:
        """Log a failure once, in words an operator can act on."""
        code = error.code
        if code == 401:
            logger.error("%s (the token was rejected: check ZALO_BOT_TOKEN)", error)
        elif code == 429:
            logger.warning("%s (rate limited, retry after %ss)", error, error.retry_after)
        elif error.network or (code is not None and code >= 500):
            logger.warning("%s (will retry)", error)
        else:
            logger.warning("%s", error)
        return error

    # --- methods -------------------------------------------------------------------------

    async def get_me(self) -> BotInfo:
        result = await self.call("getMe")
        data = result if isinstance(result, dict) else {}
        return BotInfo(
            id=str(data.get("id", "")),
            account_name=str(data.get("account_name", "")),
            account_type=str(data.get("account_type", "")),
            can_join_groups=bool(data.get("can_join_groups", False)),
        )

    async def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for new events; usually one, [] when nobody wrote.

        (`timeout` is the platform's own parameter: the server waits, not this coroutine.)

        The platform documents one event per call; a list is accepted too, in case it
        starts batching.
        """
        try:
            result = await self.call(
                "getUpdates",
                {"timeout": timeout},
                read_timeout=timeout + 10.0,  # the platform's wait, then the answer
                quiet=frozenset({POLL_TIMEOUT_CODE}),
            )
        except ZaloBotError as error:
            if error.code == POLL_TIMEOUT_CODE:
                return []
            raise
        if isinstance(result, list):
            return [event for event in result if isinstance(event, dict) and event]
        if isinstance(result, dict) and result:
            return [result]
        return []

    async def set_webhook(self, url: str, secret_token: str) -> None:
        """Register the webhook (polling stops working until it is deleted)."""
        check_webhook_secret(secret_token)
        if not url.startswith("https://"):
            raise ValueError("the webhook URL must start with https://")
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> WebhookInfo:
        result = await self.call("getWebhookInfo")
        data = result if isinstance(result, dict) else {}
        return WebhookInfo(
            url=str(data.get("url") or ""), updated_at=str(data.get("updated_at") or "")
        )

    async def send_message(self, chat_id: str, text: str) -> str | None:
        """Send plain text (1-2,000 characters); the platform's message id."""
        if not text.strip():
            raise ValueError("sendMessage needs some text")
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return str(message_id) if message_id is not None else None

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show "typing..." for a few seconds while a slow answer is prepared."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})
