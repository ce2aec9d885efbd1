"""The console channel: chat with the bot in a terminal; buttons become numbered choices.

This is what `make run` starts. It reads lines from any text stream, so tests drive it with
StringIO exactly as a person drives it from the keyboard.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.messages import Button, Channel, ConversationKey, IncomingMessage, Reply, plain_buttons
from bot.ports import MessageHandler

__all__ = ["ConsoleChannel", "render"]

QUIT_WORDS = frozenset({"/quit", "/exit", "/thoat", "/thoát", "thoat", "thoát"})
BANNER = (
    "Trợ lý số – trò chuyện trên máy tính. Gõ câu hỏi rồi nhấn Enter; gõ số để chọn nút; "
    "gõ /thoat để kết thúc."
)


Poll = Callable[[], Awaitable[list[Reply]]]


def render(reply: Reply, first_number: int = 1) -> str:
    """Show a reply as text followed by numbered choices."""
    who = "Trợ lý số (sửa tin trước)" if reply.edit_of else "Trợ lý số"
    lines = [f"{who}: {reply.text}"]
    for number, button in enumerate(plain_buttons(reply.buttons), start=first_number):
        lines.append(f"  [{number}] {button.title}")
    return "\n".join(lines)


class ConsoleChannel:
    """Reads lines, sends them to the dialogue, prints the replies.

    `poll`, when given, is called every `poll_seconds` for messages other people caused
    (a volunteer's answer, a claim notice): run the same person in two terminals and the
    whole handoff can be tried with nothing but a SQLite file.
    """

    def __init__(
        self,
        dialogue: MessageHandler,
        stdin: TextIO,
        stdout: TextIO,
        user_id: str = "console",
        prompt: str = "Bạn: ",
        poll: Poll | None = None,
        poll_seconds: float = 1.0,
        files_dir: Path | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.stdin = stdin
        self.stdout = stdout
        self.key = ConversationKey(Channel.CONSOLE.value, user_id)
        self.prompt = prompt
        self.buttons: list[Button] = []
        self.poll = poll
        self.poll_seconds = poll_seconds
        self.files_dir = files_dir or Path("data") / "exports"

    def to_incoming(self, line: str) -> IncomingMessage:
        """A number that names a shown button presses it; anything else is typed text."""
        stripped = line.strip()
        now = datetime.now(UTC)
        if stripped.isdecimal() and len(stripped) < 4 and 1 <= int(stripped) <= len(self.buttons):
            button = self.buttons[int(stripped) - 1]
            return IncomingMessage(
                self.key, payload=button.payload, kind="button", received_at=now
            )
        return IncomingMessage(self.key, text=line, received_at=now)

    def show(self, replies: Sequence[Reply]) -> None:
        """Print replies and remember their buttons, numbered across all of them.

        Replies without any button (a relayed message) keep the buttons shown before, so
        the numbers a person is about to type still mean what they saw.
        """
        if not replies:
            return
        has_buttons = any(plain_buttons(reply.buttons) for reply in replies)
        if has_buttons:
            self.buttons = []
        for reply in replies:
            first = len(self.buttons) + 1 if has_buttons else 1
            self.stdout.write(render(reply, first_number=first) + "\n")
            if has_buttons:
                self.buttons.extend(plain_buttons(reply.buttons))
            if reply.attachment is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / Path(reply.attachment.filename).name
                path.write_bytes(reply.attachment.data)
                self.stdout.write(f"  [tệp đã lưu: {path}]\n")
        self.stdout.flush()

    async def _poll_forever(self) -> None:
        assert self.poll is not None
        while True:
            await asyncio.sleep(self.poll_seconds)
            news = await self.poll()
            if news:
                self.stdout.write("\n")
                self.show(news)
                self.stdout.write(self.prompt)
                self.stdout.flush()

    async def run(self) -> None:
        """Chat until end of input or a quit word."""
        poller = asyncio.create_task(self._poll_forever()) if self.poll else None
        try:
            await self._chat()
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller

    async def _chat(self) -> None:
        self.stdout.write(BANNER + "\n")
        self.show(await self.dialogue.handle(IncomingMessage(self.key, text="/start")))
        if self.poll is not None:
            self.show(await self.poll())
        while True:
            self.stdout.write(self.prompt)
            self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip().lower() in QUIT_WORDS:
                self.stdout.write("\nTạm biệt anh/chị!\n")
                return
            if not line.strip():
                continue
            self.show(await self.dialogue.handle(self.to_incoming(line)))
            if self.poll is not None:
                self.show(await self.poll())
