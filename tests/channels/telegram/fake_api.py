"""A fake Telegram Bot API: records every call and answers like Telegram's servers do.

It replaces PTB's HTTP layer (`BaseRequest`), so the real Application, Bot and handlers run
and nothing reaches the network. Failures can be scripted per method.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 999000111,
    "is_bot": True,
    "first_name": "Tro ly so",
    "username": "trolyso_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
DATE = 1795406400


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # field name -> file name
    contents: dict[str, bytes] = field(default_factory=dict)  # field name -> the file's bytes


class FakeBotAPI(BaseRequest):
    """Answers getMe, sendMessage, editMessageText, answerCallbackQuery, sendDocument, ..."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.unreachable_for: dict[str, int] = {}  # method -> calls left that cannot connect
        self._next_id = 1000

    # --- scripting -----------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str, **parameters: Any) -> None:
        """The next call of `method` gets this error (Telegram's JSON error shape)."""
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self.failures.setdefault(method, []).append((status, body))

    def unreachable(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` fail as when Telegram cannot be reached."""
        self.unreachable_for[method] = self.unreachable_for.get(method, 0) + times

    def reachable(self, method: str) -> None:
        """Telegram can be reached again (the outage is over)."""
        self.unreachable_for.pop(method, None)

    def sent(self, chat_id: int | str | None = None, method: str = "sendMessage") -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def texts(self, chat_id: int | str) -> list[str]:
        return [str(c.params["text"]) for c in self.sent(chat_id)]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    # --- BaseRequest ---------------------------------------------------------------------

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        files: dict[str, str] = {}
        contents: dict[str, bytes] = {}
        if request_data is not None and request_data.multipart_data:
            for key, value in request_data.multipart_data.items():
                files[key] = str(value[0]) if isinstance(value, tuple) else key
                if isinstance(value, tuple) and isinstance(value[1], bytes):
                    contents[key] = value[1]
        self.calls.append(Call(name, params, files, contents))
        if self.unreachable_for.get(name, 0) > 0:
            self.unreachable_for[name] -= 1
            # What PTB's HTTPXRequest raises when the connection cannot be made.
            raise NetworkError("httpx.ConnectError: All connection attempts failed")
        queued = self.failures.get(name)
        if queued:
            status, body = queued.pop(0)
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in ("sendMessage", "sendDocument", "editMessageText"):
            self._next_id += 1
            chat_id = int(params.get("chat_id", 0))
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id", self._next_id)),
                "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private", "first_name": "X"},
                "date": DATE,
            }
            if name == "sendDocument":
                message["document"] = {"file_id": "BQAC", "file_unique_id": "AgAD"}
            else:
                message["text"] = params.get("text", "")
            return message
        if name == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if name == "getUpdates":
            return []
        return True
