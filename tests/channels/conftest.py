"""Channel adapters run against the real core and a real database (SQLite and PostgreSQL).

Only the platforms are fake: their HTTP APIs answer through in-process transports, and any
attempt to reach the network fails the test (see tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import FakeClock, bot, clock, config, people  # noqa: F401

__all__ = ["ChunkedBody", "FakeClock"]


class ChunkedBody:
    """A request body sent in chunks with no Content-Length, counting what the server pulled.

    Each chunk is produced only when the server asks for it (httpx's ASGI transport pulls the
    body as the application reads), so `sent` is how much the webhook read before answering.
    """

    def __init__(self, total: int, chunk: int = 16 * 1024, start: bytes = b'{"text": "') -> None:
        self.total = total
        self.chunk = chunk
        self.start = start
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        piece = self.start
        while self.sent < self.total:
            piece = piece or b"a" * min(self.chunk, self.total - self.sent)
            self.sent += len(piece)
            yield piece
            piece = b""
