"""The real server as a subprocess, and citizens writing to it through a fake Zalo platform.

Pieces the fault tests and bench/bench_faults.py share:

- `Question`/`plan`: which chat asks what. Each chat asks different FAQ questions whose
  answers are single, deterministic messages, so a reply is recognised by its chat and the
  first line of its answer (answers do not echo the question);
- `ServerProcess`: `python -m bot serve` on a loopback port, started, SIGKILLed, restarted;
- `Traffic`: posts the planned webhook events with bounded concurrency, each chat in order,
  and redelivers an event the server did not acknowledge (non-200 or no answer) after a
  short delay, a bounded number of times, as Zalo and Telegram do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from content import Content

__all__ = [
    "QUESTION_INTENTS",
    "SECRET",
    "SECRET_HEADER",
    "TOKEN",
    "Question",
    "ServerProcess",
    "Traffic",
    "Update",
    "plan",
    "questions",
    "server_env",
]

TOKEN = "9876543210:faults-test-token-XyZ"
SECRET = "faults-webhook-secret-42"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/zalobot/webhook"
PROFILER = Path(__file__).resolve().parents[2] / "bench" / "cpu_profile.py"  # CPU-timed cProfile
# FAQ intents answered with one message and no follow-up flow (checked when `plan` runs:
# each answer's first line must be unique and no prefix of another). Nothing here opens a
# support request, which would send notices to volunteers.
QUESTION_INTENTS = (
    "vneid.what_is",
    "vneid.register",
    "dvc.what_is",
    "dvc.track",
    "cashless.qr",
    "safety.otp",
    "nds.date",
    "skills.what_is",
    "skills.password",
    "cds.what_is",
    "skills.fake_news",
    "dvc.judicial_record",
    "cashless.bills",
    "skills.email",
)
# Variables of the developer's shell that would add channels or another database.
_INHERITED_PREFIXES = ("TROLYSO_", "ZALO_", "TELEGRAM_", "DATABASE_URL")


@dataclass(frozen=True, slots=True)
class Question:
    intent: str
    text: str  # what the citizen types: the intent's first example
    marker: str  # the first line of the answer: how the reply is recognised


def questions(content: Content, intents: Sequence[str] = QUESTION_INTENTS) -> list[Question]:
    found = [
        Question(name, content.intents[name].examples[0], content.intents[name].answer)
        for name in intents
    ]
    found = [Question(q.intent, q.text, q.marker.splitlines()[0].strip()) for q in found]
    for one in found:
        clashes = [o.intent for o in found if o is not one and o.marker.startswith(one.marker)]
        if clashes:
            raise ValueError(f"the answer of {one.intent} cannot be told from {clashes}")
    return found


@dataclass(frozen=True, slots=True)
class Update:
    """One message a citizen types: chat, position in that chat, platform message id."""

    chat: str
    position: int
    message_id: str
    question: Question
    date: int  # milliseconds since the epoch; a redelivery carries the same payload

    def event(self) -> dict[str, Any]:
        """The webhook body, in the envelope Zalo posts (tests/data/zalo_bot)."""
        return {
            "ok": True,
            "result": {
                "event_name": "message.text.received",
                "message": {
                    "from": {"id": self.chat, "display_name": "Người thử", "is_bot": False},
                    "chat": {"id": self.chat, "chat_type": "PRIVATE"},
                    "text": self.question.text,
                    "message_id": self.message_id,
                    "date": self.date,
                },
            },
        }


def plan(updates: int, chats: int, asked: Sequence[Question]) -> list[list[Update]]:
    """`updates` messages spread over `chats` chats; no chat asks the same thing twice."""
    if updates < chats or chats < 1:
        raise ValueError("need at least one update per chat")
    per_chat = -(-updates // chats)
    if per_chat > len(asked):
        raise ValueError(f"at most {len(asked)} updates per chat (asked for {per_chat})")
    run, now = os.urandom(3).hex(), int(time.time() * 1000)
    streams: list[list[Update]] = [[] for _ in range(chats)]
    for number in range(updates):
        chat, position = number % chats, number // chats
        streams[chat].append(
            Update(
                chat=f"fz{run}{chat:04d}",
                position=position,
                message_id=f"fm{run}-{chat:04d}-{position:02d}",
                question=asked[(chat + position) % len(asked)],
                date=now + number,
            )
        )
    return streams


# --- the server process ----------------------------------------------------------------


def server_env(api_base: str, data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of `trolyso serve`: the Zalo Bot channel only, replays after 2 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    env.update(
        ZALO_BOT_TOKEN=TOKEN,
        ZALO_BOT_WEBHOOK_SECRET=SECRET,
        ZALO_BOT_API_BASE=api_base,
        TROLYSO_DATA_DIR=str(data_dir),
        TROLYSO_REPLAY_AFTER_SECONDS="2",
        TROLYSO_LOG_LEVEL="WARNING",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


class ServerProcess:
    """`python -m bot serve --host 127.0.0.1 --port P`, its output in `log`."""

    def __init__(
        self, env: Mapping[str, str], port: int, log: Path, profile: Path | None = None
    ) -> None:
        self.env = dict(env)
        self.port = port
        self.log = log
        self.profile = profile  # cProfile's output, written when the server exits
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, within: float = 30.0) -> None:
        """Start (migrations run first) and wait until /healthz answers 200."""
        command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        if self.profile is not None:
            # CPU time, not wall clock: see bench/cpu_profile.py
            command[1:1] = [str(PROFILER), str(self.profile)]
        with self.log.open("ab") as output:
            output.write(f"--- start {self.starts + 1}\n".encode())
            output.flush()
            self.process = subprocess.Popen(  # noqa: ASYNC220  (returns at once)
                command,
                env=self.env,
                cwd=self.log.parent,  # no .env of the checkout is read
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited at start:\n{self.tail()}")
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not become healthy:\n{self.tail()}")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    async def stop(self, grace: float = 20.0) -> None:
        """SIGTERM and wait (uvicorn finishes the work in hand); SIGKILL after `grace`."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        # uvicorn re-raises the signal after its shutdown: a SIGTERM would then end a profiled
        # server before cProfile writes; a SIGINT ends it through `finally` blocks.
        process.send_signal(signal.SIGINT if self.profile is not None else signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(process.wait, grace)
        self.kill()

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# --- the platform's side: posting events ------------------------------------------------


@dataclass(slots=True)
class Posting:
    """What happened to one update's deliveries."""

    update: Update
    attempts: int = 0
    acked_at: float | None = None
    refused: list[str] = field(default_factory=list)  # statuses or errors before the 200


class Traffic:
    """Posts every planned update; each chat in order, `concurrency` requests at a time.

    An update that gets no 200 is posted again after `retry_delay` seconds, up to
    `max_attempts` times (the platform's redelivery). `rate` (updates per second, 0: as
    fast as the server answers) spreads the stream so a fault lands in the middle of it.
    """

    def __init__(
        self,
        url: str,
        streams: Sequence[Sequence[Update]],
        *,
        concurrency: int = 8,
        rate: float = 0.0,
        retry_delay: float = 0.5,
        max_attempts: int = 40,
        timeout: float = 10.0,
    ) -> None:
        self.url = url + WEBHOOK_PATH
        self.streams = streams
        self.postings = {u.message_id: Posting(u) for stream in streams for u in stream}
        self.concurrency = asyncio.Semaphore(concurrency)
        self.rate = rate
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.acks = 0
        self._started = 0.0
        self._slots = 0
        self._thresholds: list[tuple[int, asyncio.Event]] = []

    def acknowledged(self) -> list[Update]:
        return [p.update for p in self.postings.values() if p.acked_at is not None]

    def refused(self) -> list[Update]:
        """Updates that had a delivery refused or unanswered before their 200."""
        return [p.update for p in self.postings.values() if p.refused]

    def redeliveries(self) -> int:
        """Posts beyond the first, for every update."""
        return sum(max(0, p.attempts - 1) for p in self.postings.values())

    def after_acks(self, count: int) -> asyncio.Event:
        """An event set once `count` updates were acknowledged."""
        reached = asyncio.Event()
        if self.acks >= count:
            reached.set()
        self._thresholds.append((count, reached))
        return reached

    async def run(self) -> None:
        """Every planned update, until acknowledged or given up."""
        self._started = time.monotonic()
        async with self._client() as client:
            await asyncio.gather(*(self._chat(client, stream) for stream in self.streams))

    async def redeliver(self, updates: Sequence[Update]) -> None:
        """Post acknowledged updates once more, as a platform does when an answer is late:
        each must be acknowledged again and answered no second time."""
        async with self._client() as client:
            await asyncio.gather(
                *(self._deliver(client, self.postings[u.message_id]) for u in updates)
            )

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        return httpx.AsyncClient(timeout=self.timeout, limits=limits)

    async def _chat(self, client: httpx.AsyncClient, stream: Sequence[Update]) -> None:
        for update in stream:
            await self._pace()
            await self._deliver(client, self.postings[update.message_id])

    async def _deliver(self, client: httpx.AsyncClient, posting: Posting) -> None:
        body, headers = posting.update.event(), {SECRET_HEADER: SECRET}
        for _ in range(self.max_attempts):
            posting.attempts += 1
            async with self.concurrency:
                try:
                    response = await client.post(self.url, json=body, headers=headers)
                    outcome = str(response.status_code)
                except httpx.TransportError as error:
                    outcome = type(error).__name__
            if outcome == "200":
                if posting.acked_at is None:
                    posting.acked_at = time.monotonic()
                    self._acknowledged()
                return
            posting.refused.append(outcome)
            await asyncio.sleep(self.retry_delay)

    async def _pace(self) -> None:
        if self.rate <= 0:
            return
        due = self._started + self._slots / self.rate
        self._slots += 1
        await asyncio.sleep(max(0.0, due - time.monotonic()))

    def _acknowledged(self) -> None:
        self.acks += 1
        for count, reached in self._thresholds:
            if self.acks >= count:
                reached.set()
