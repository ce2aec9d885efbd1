"""A thin async client for the Zalo Official Account API v3 and its OAuth v4 token endpoint.

Only what the bot needs: send a customer-service message and obtain or renew tokens. Zalo
answers most failures with HTTP 200 and a non-zero `error` in the body, so every answer is
checked. Nothing here logs message text or tokens; errors carry only codes and Zalo's short
English meanings, which are safe to log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.http_client import (
    JsonPoster,
    PlatformNetworkError,
    PlatformResponse,
    PlatformTimeout,
    wants_proxy,
)

__all__ = [
    "BLOCKED_CODES",
    "ERROR_MEANINGS",
    "INVALID_TOKEN_CODES",
    "OAUTH_API_BASE",
    "OA_API_BASE",
    "PERMANENT_CODES",
    "QUOTA_CODES",
    "RATE_LIMIT_CODES",
    "REFUSED_GRANT_CODES",
    "WINDOW_CODES",
    "OAClient",
    "TokenGrant",
    "ZaloApiError",
    "ZaloError",
    "ZaloUnavailable",
    "describe",
]

logger = logging.getLogger(__name__)

OA_API_BASE = "https://openapi.zalo.me"
OAUTH_API_BASE = "https://oauth.zaloapp.com"
SEND_CS_PATH = "/v3.0/oa/message/cs"
TOKEN_PATH = "/v4/oa/access_token"
# A renewal holds the token row lock (on SQLite, the database write lock) while it waits for
# Zalo: keep that short. A slow answer is retried later with the old token still valid.
REFRESH_TIMEOUT = 4.0

# What each code means, for the logs. Zalo's own table is not machine-readable; these come
# from Zalo's SDKs and from integrators' tables that quote it (see docs channels.md 3.1, 3.3).
ERROR_MEANINGS: dict[int, str] = {
    -32: "rate limited: the app or the OA reached its API call limit",
    -100: "attachment expired or unknown error, retry later",
    -101: "application is invalid",
    -102: "application does not exist",
    -103: "application is not activated",
    -104: "app secret key is invalid",
    -105: "application is not linked to any OA",
    -118: "refresh token or account is invalid or deactivated (authorize again)",
    -124: "access token is invalid",
    -200: "send message failed",
    -201: "a request parameter is invalid",
    -204: "the OA is disabled",
    -205: "the OA does not exist",
    -209: "this API is not supported for the app",
    -210: "a parameter exceeds the allowed limit",
    -211: "out of quota",
    -212: "the OA has not registered this API",
    -213: "the user has not followed the OA",
    -216: "access token is invalid",
    -217: "the user blocked messages from the OA",
    -218: "the recipient's message quota is used up",
    -219: "the app is removed or disabled",
    -220: "access token expired or was removed",
    -221: "the OA must be verified to use this feature",
    -223: "the OA has not authorized this API",
    -224: "the OA must upgrade its service package",
    -227: "the user is banned or inactive for more than 45 days",
    -230: "the user has not interacted with the OA in the past 7 days",
    -232: "the user has not interacted with the OA, or the interaction expired",
    -233: "message type is invalid or not supported",
    -234: "this message type cannot be sent at night",
    -235: "this API does not support this type of OA",
    -240: "message API v2 is shut down, use v3",
    -242: "appsecret_proof is invalid",
    -244: "the user restricted this message type from the OA",
    -248: "the message violates Zalo's platform standards",
    -305: "cannot answer the user more than 48 hours after their message (legacy rule)",
    -320: "the app must be linked to a Zalo Cloud Account",
    -321: "the Zalo Cloud Account is out of money",
    -401: "access token is invalid",
    -14014: "refresh token is invalid, expired or already used (authorize again)",
    216: "access token is invalid",
    401: "access token is invalid",
}
# Zalo reports the same token problem with either sign, depending on the endpoint.
INVALID_TOKEN_CODES = frozenset({-216, 216, -401, 401, -220, -124})
WINDOW_CODES = frozenset({-230, -232, -305})
QUOTA_CODES = frozenset({-211, -218, -320, -321})
BLOCKED_CODES = frozenset({-213, -217, -227, -244})
RATE_LIMIT_CODES = frozenset({-32})
# Retrying the same message cannot help: it is malformed or not allowed.
PERMANENT_CODES = frozenset({-201, -210, -233, -248})
# A refused token grant: the refresh token is dead and an OA admin must consent again.
REFUSED_GRANT_CODES = frozenset({-118, -14014})


def describe(code: int | None) -> str:
    """A log-safe English line for an error code, known or not."""
    if code is None:
        return "no error code"
    return f"error {code}: {ERROR_MEANINGS.get(code, 'unknown Zalo error code')}"


class ZaloError(Exception):
    """Any failed call; `reason` is safe to log and to store (no text, no token)."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class ZaloApiError(ZaloError):
    """Zalo answered and refused: `code` is its error code (HTTP 200 with `error != 0`)."""


class ZaloUnavailable(ZaloError):
    """Zalo could not be reached or answered nonsense (timeout, 5xx): retry later.

    `retry_after` is set when Zalo asked to wait (HTTP 429).
    """

    def __init__(
        self, reason: str, code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason, code)
        self.retry_after = retry_after


@dataclass(frozen=True)
class TokenGrant:
    """A new access and refresh token pair; `expires_in` is the access token's life, seconds."""

    access_token: str
    refresh_token: str
    expires_in: int

    def __repr__(self) -> str:  # a grant must never end up in a log line
        return f"TokenGrant(expires_in={self.expires_in})"


def _as_int(value: Any) -> int | None:
    """Zalo sends numbers, quoted numbers, or nothing."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (str, float)):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


Answer = httpx.Response | PlatformResponse


def _retry_after(response: Answer) -> float | None:
    raw = response.headers.get("retry-after", "")
    try:
        return max(float(raw), 1.0) if raw else None
    except ValueError:
        return None


class OAClient:
    """Calls Zalo: messages through `JsonPoster` (kept connections, bot/channels/http_client.py),
    tokens through httpx (a form, rarely); pass `transport` to test offline (all through
    httpx then, as when the environment names a proxy)."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        api_base: str = OA_API_BASE,
        oauth_base: str = OAUTH_API_BASE,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._poster: JsonPoster | None = None
        if transport is None and not wants_proxy():
            self._poster = JsonPoster(self.api_base, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._poster is not None:
            await self._poster.aclose()

    async def send_cs_message(
        self, access_token: str, user_id: str, message: dict[str, Any]
    ) -> str:
        """Send one customer-service message; returns Zalo's message id."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        data = await self._post_json(
            f"{self.api_base}{SEND_CS_PATH}", body, {"access_token": access_token}
        )
        details = data.get("data")
        message_id = details.get("message_id") if isinstance(details, dict) else None
        return str(message_id) if message_id is not None else ""

    async def exchange_code(self, code: str, code_verifier: str) -> TokenGrant:
        """Trade the authorization code from the consent page for a token pair."""
        return await self._grant(
            {
                "app_id": self.app_id,
                "code": code,
                "grant_type": "authorization_code",
                "code_verifier": code_verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """Spend the single-use refresh token for a new pair."""
        return await self._grant(
            {
                "app_id": self.app_id,
                "refresh_token": refresh_token,
                "grant_type": "refresh_token",
            },
            seconds=REFRESH_TIMEOUT,
        )

    # --- transport ---------------------------------------------------------------------

    async def _post_json(
        self, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        response = await self._send_json(url, body, headers)
        data = self._decode(response)
        code = _as_int(data.get("error"))
        if code is None and "error" in data:
            raise ZaloUnavailable("answer with an unreadable error field")
        if code:
            raise ZaloApiError(describe(code), code)
        if response.status_code >= 400:
            raise ZaloUnavailable(f"HTTP {response.status_code} without an error code")
        return data

    async def _grant(self, form: dict[str, str], *, seconds: float | None = None) -> TokenGrant:
        options: dict[str, Any] = {"timeout": seconds} if seconds is not None else {}
        response = await self._request(
            f"{self.oauth_base}{TOKEN_PATH}",
            headers={"secret_key": self._app_secret},
            data=form,
            **options,
        )
        data = self._decode(response)
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        expires_in = _as_int(data.get("expires_in"))
        if isinstance(access, str) and access and isinstance(refresh, str) and refresh:
            # Without a usable lifetime assume one hour: refreshed early is better than late.
            return TokenGrant(access, refresh, expires_in if expires_in else 3600)
        code = _as_int(data.get("error"))
        name = data.get("error_name")
        if isinstance(name, str) and name.strip():
            # e.g. "invalid_grant"; Zalo's names are short identifiers, safe to log.
            reason = f"{describe(code)} ({name.strip()[:40]})" if code else name.strip()[:60]
        else:
            reason = describe(code) if code else "token answer without tokens"
        raise ZaloApiError(reason, code)

    async def _send_json(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> Answer:
        if self._poster is None or not url.startswith(self.api_base + "/"):
            return await self._request(url, headers=headers, json=body)
        try:
            response = await self._poster.post(
                url.removeprefix(self.api_base), body, headers=headers
            )
        except PlatformTimeout as error:
            raise ZaloUnavailable(f"timeout ({type(error).__name__})") from error
        except PlatformNetworkError as error:
            raise ZaloUnavailable(f"network error ({type(error).__name__})") from error
        self._check(response)
        return response

    async def _request(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.post(url, **kwargs)
        except httpx.TimeoutException as error:
            raise ZaloUnavailable(f"timeout ({type(error).__name__})") from error
        except httpx.HTTPError as error:
            raise ZaloUnavailable(f"network error ({type(error).__name__})") from error
        self._check(response)
        return response

    @staticmethod
    def _check(response: Answer) -> None:
        """A rate limit or a server failure: try again later."""
        if response.status_code == 429:
            raise ZaloUnavailable("HTTP 429", retry_after=_retry_after(response))
        if response.status_code >= 500:
            raise ZaloUnavailable(f"HTTP {response.status_code}")

    @staticmethod
    def _decode(response: Answer) -> dict[str, Any]:
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ZaloUnavailable(f"HTTP {response.status_code}, not JSON") from error
        if not isinstance(data, dict):
            raise ZaloUnavailable(f"HTTP {response.status_code}, unexpected JSON")
        if response.status_code >= 400 and not data:
            raise ZaloUnavailable(f"HTTP {response.status_code}")
        return data
