"""The steps every webhook takes, written once: check, read under a cap, parse, store, answer.

Telegram, Zalo OA and Zalo Bot differ in how a delivery proves where it comes from (a secret
header, or a signature over the raw body), in the words of their answers and in what a
delivery means; the order of the steps is the same for all three:

1. `allowed(headers)`: the secret token, checked before a byte of the body is read (403).
2. The body, read as it streams in and abandoned once it passes `max_body` bytes (413): a
   sender cannot make the server read or hold more than the cap, and a declared
   Content-Length over it is refused unread.
3. `load_object` (bot/channels/payloads.py): a UTF-8 JSON object of sane depth (400).
4. `verify(headers, body, payload, now)`: a signature over the raw body (401).
5. `parse(payload, now)`: the channel's typed checks and its translation for the core;
   a `PayloadError` is a malformed delivery (400).
6. The inbox row, committed before the answer, so an acknowledged delivery is never lost;
   when the database cannot take it the answer is 503 and the platform delivers it again.
   Deliveries arriving together are written together (storage/inbox_writer.py).
   A redelivery finds its row and stops here, acknowledged.
7. `accepted(delivery)`: the channel hands the message to its background processing; 200.

Each refusal is logged with the channel's label and a log-safe reason, never the content.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.channels.payloads import PayloadError, load_object
from bot.inbound import to_record
from bot.logs import log_failure
from bot.messages import IncomingMessage
from bot.services import Bot

__all__ = [
    "Answer",
    "Delivery",
    "Webhook",
    "json_answers",
    "plain_answers",
    "read_body",
    "secret_matches",
]

logger = logging.getLogger(__name__)
E = TypeVar("E")
Answer = Callable[[int], Response]  # the response a platform gets for a status code


@dataclass(frozen=True, slots=True)
class Delivery(Generic[E]):
    """One delivery as its channel understood it.

    `key` is the platform's id for it (the inbox dedupe key); `ref` names it in logs and must
    say nothing about the person or the words; `event` is the channel's own object (a PTB
    `Update`, say), handed back to `accepted`.
    """

    key: str
    message: IncomingMessage | None
    ref: str
    event: E


def _always(headers: Headers) -> bool:
    return True


def _unsigned(headers: Headers, body: bytes, payload: Mapping[str, Any], now: datetime) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Webhook(Generic[E]):
    """One channel's webhook route: the shared steps, with the channel's own parts plugged in.

    `allowed` and `verify` default to letting everything through, so a channel supplies the
    check it has: a secret header (`allowed`) or a signature (`verify`, which returns what is
    wrong, for the log, or None).
    """

    bot: Bot
    channel: str  # the inbox's channel name
    label: str  # how logs name the channel
    max_body: int
    answer: Answer
    parse: Callable[[dict[str, Any], datetime], Delivery[E]]
    accepted: Callable[[Delivery[E]], Awaitable[None]]
    allowed: Callable[[Headers], bool] = _always
    verify: Callable[[Headers, bytes, Mapping[str, Any], datetime], str | None] = _unsigned

    async def handle(self, request: Request) -> Response:
        """The route's endpoint: every step in order; the handling happens after the answer."""
        self.bot.receiving += 1  # the inbox processors hold back while deliveries arrive
        try:
            return await self._handle(request)
        finally:
            self.bot.receiving -= 1

    async def _handle(self, request: Request) -> Response:
        if not self.allowed(request.headers):
            return self.answer(403)
        try:
            body = await read_body(request, self.max_body)
        except ClientDisconnect:
            logger.info("%s webhook: the sender left before the body was read", self.label)
            return self.answer(400)
        if body is None:
            logger.warning("%s webhook refused: body over %d bytes", self.label, self.max_body)
            return self.answer(413)
        try:
            payload = load_object(body)  # not JSON, not UTF-8, absurdly nested, NaN
        except PayloadError as error:
            logger.warning("%s webhook refused: %s", self.label, error)
            return self.answer(400)
        now = self.bot.clock()
        problem = self.verify(request.headers, body, payload, now)
        if problem is not None:
            logger.warning("%s webhook refused: %s", self.label, problem)
            return self.answer(401)
        try:
            delivery = self.parse(payload, now)
        except PayloadError as error:
            logger.warning("%s webhook refused: %s", self.label, error)
            return self.answer(400)
        message = delivery.message
        try:
            stored = await self.bot.inbox.receive(  # with the deliveries arriving meanwhile
                self.channel,
                delivery.key,
                to_record(message) if message is not None else None,
                now,
                chat=message.key.user_id if message is not None else None,
            )
        except (SQLAlchemyError, OSError) as error:
            # Not stored, so not acknowledged: the platform delivers it again later.
            log_failure(logger, "%s delivery not stored %s", self.label, delivery.ref, error=error)
            return self.answer(503)
        if stored is None:
            logger.info("%s webhook: redelivery ignored %s", self.label, delivery.ref)
        else:
            self.bot.metrics.received(self.channel)
            await self.accepted(delivery)
        return self.answer(200)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None as soon as it passes `limit` bytes (the rest is never read).

    Raises `ClientDisconnect` when the sender goes away mid-body.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and (len(declared) > 15 or int(declared) > limit):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


def secret_matches(given: str | None, secret: str) -> bool:
    """The secret-token header check, in constant time; no configured secret refuses all."""
    if not secret or given is None:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())


def plain_answers(malformed: str) -> Answer:
    """Telegram's and Zalo Bot's answers: a few plain words, an empty 200."""
    words = {400: malformed, 403: "forbidden", 413: "too large", 503: "try again"}

    def answer(status: int) -> Response:
        if status == 200:
            return Response(status_code=200)
        return PlainTextResponse(words[status], status_code=status)

    return answer


def json_answers(status: int) -> Response:
    """Zalo OA's answers: small JSON objects."""
    if status == 200:
        return JSONResponse({"ok": True})
    words = {400: "bad request", 401: "unauthorized", 413: "too large", 503: "try again"}
    return JSONResponse({"error": words[status]}, status_code=status)
