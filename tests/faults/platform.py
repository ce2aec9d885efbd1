"""A fake Zalo Bot platform on 127.0.0.1: a real HTTP server the real `trolyso serve` calls.

The fault tests run the server as a subprocess (so it can be killed with SIGKILL), which
rules out the in-process transports of the channel tests. This server answers the methods
`bot/channels/zalo_bot/client.py` calls (`POST /bot<TOKEN>/<method>`, `{ok, result}`) and
records every sendMessage as the platform would deliver it: at the moment the request
arrives, whether or not the caller lives to read the answer.

It runs uvicorn in a thread with its own event loop, so the test's loop may block (pg_ctl,
waiting for a process) without delaying the server's sends.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["FakeZaloPlatform", "Sent"]


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the bot sent: to whom, what, and when (time.monotonic())."""

    chat: str
    text: str
    at: float


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


class FakeZaloPlatform:
    """The Bot API of one token; `latency` seconds are added to every sendMessage answer."""

    def __init__(self, token: str, *, latency: float = 0.0) -> None:
        self.token = token
        self.latency = latency
        self.port = 0
        self.typing = 0  # sendChatAction calls
        self._sent: list[Sent] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """What ZALO_BOT_API_BASE must be set to."""
        return f"http://127.0.0.1:{self.port}"

    def sent(self) -> list[Sent]:
        """A copy of every delivered message, oldest first (safe from any thread)."""
        with self._lock:
            return list(self._sent)

    # --- the HTTP API --------------------------------------------------------------------

    async def _method(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        method = request.path_params["method"]
        body = await request.json()
        if method == "sendMessage":
            text = str(body.get("text") or "")
            if not 1 <= len(text) <= 2000:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "bad text"}, status_code=400
                )
            with self._lock:
                self._sent.append(Sent(str(body.get("chat_id")), text, time.monotonic()))
                message_id = next(self._ids)
            if self.latency:
                await asyncio.sleep(self.latency)
            return _ok({"message_id": f"fz-{message_id}", "date": int(time.time() * 1000)})
        if method == "sendChatAction":
            with self._lock:
                self.typing += 1
            return _ok(True)
        if method == "getMe":
            return _ok(
                {
                    "id": "2718281828",
                    "account_name": "Bot Trợ lý số",
                    "account_type": "BASIC",
                    "can_join_groups": False,
                }
            )
        return JSONResponse(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
        )

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Listen on a free loopback port; returns once it accepts connections."""
        app = Starlette(routes=[Route("/bot{token}/{method}", self._method, methods=["POST"])])
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            access_log=False,
            lifespan="off",
            log_config=None,  # leave the test process's logging as it is
        )
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, name="fake-zalo", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Zalo platform did not start")
            time.sleep(0.01)
        self.port = server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeZaloPlatform:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
