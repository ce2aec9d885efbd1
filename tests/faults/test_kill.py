"""SIGKILL of the real server under load: every acknowledged update answered exactly once.

`trolyso serve` runs as a subprocess behind a fake Zalo platform on loopback; 240 questions
from 30 chats arrive at 60 per second; after 40% are acknowledged the server is killed with
SIGKILL and restarted on the same port and database, while the platform redelivers what
was not acknowledged. Stored deliveries the dead process never finished are replayed by
the restarted one (TROLYSO_REPLAY_AFTER_SECONDS=2).

Duplicate sends are allowed only for replies "in flight" at the kill, measured exactly: the
platform had received the message, but its outbox row was still pending in the database
right after the kill (the process died between the send and recording it). Sending is
at least once, so each such row is sent again; nothing else may repeat a message. (A
structural bound also holds: one row per chat per sending loop, the chat's own flush and
the maintenance flush, so at most 2 x chats; the exact count is the stronger check.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.scenarios import Load, run_kill

pytestmark = pytest.mark.faults


async def test_sigkill_mid_stream_on_sqlite(tmp_path: Path, load: Load) -> None:
    figures = await run_kill(tmp_path, load)
    assert figures.in_flight <= 2 * load.chats, figures
    assert not figures.violations(), figures


async def test_sigkill_mid_stream_on_postgres(
    tmp_path: Path, load: Load, shared_postgres: str
) -> None:
    figures = await run_kill(tmp_path, load, shared_postgres)
    assert figures.in_flight <= 2 * load.chats, figures
    assert not figures.violations(), figures
