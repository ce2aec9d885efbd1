"""The group-commit inbox writer answers each delivery as a lone insert would, in few batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import create_engine, session_factory
from storage.inbox import InboxRepository
from storage.inbox_writer import InboxWriter
from storage.models import InboundEventRow

NOW = datetime(2026, 10, 10, 8, 0, tzinfo=UTC)


def record(n: int) -> dict[str, str]:
    return {"kind": "text", "text": f"cau hoi {n}"}


async def rows(engine: AsyncEngine) -> list[InboundEventRow]:
    async with session_factory(engine)() as session:
        return list((await session.execute(select(InboundEventRow))).scalars())


async def test_a_burst_is_written_in_two_batches_with_an_id_each(engine: AsyncEngine) -> None:
    writer = InboxWriter(session_factory(engine))
    ids = await asyncio.gather(
        *(writer.receive("zalobot", f"ev{n}", record(n), NOW, chat=f"u{n % 7}") for n in range(60))
    )
    assert all(isinstance(i, int) for i in ids)
    assert len(set(ids)) == 60
    # The write starts after every delivery already waiting has joined it: one INSERT.
    assert writer.batches == 1
    more = [writer.receive("zalobot", f"late{n}", record(n), NOW) for n in range(3)]
    assert len(set(await asyncio.gather(*more))) == 3
    assert writer.batches == 2
    stored = {row.external_id: row for row in await rows(engine)}
    assert sorted(stored) == sorted([*(f"ev{n}" for n in range(60)), "late0", "late1", "late2"])
    assert {stored[f"ev{n}"].id for n in range(60)} == set(ids)
    assert stored["ev8"].chat == "u1"
    assert stored["ev8"].payload == record(8)
    assert all(row.handled_at is None and row.attempts == 0 for row in stored.values())


async def test_redeliveries_get_none_in_the_same_batch_and_later(engine: AsyncEngine) -> None:
    writer = InboxWriter(session_factory(engine))
    first, again, other = await asyncio.gather(
        writer.receive("telegram", "42", record(1), NOW, chat="9"),
        writer.receive("telegram", "42", record(1), NOW, chat="9"),
        writer.receive("zalooa", "42", record(1), NOW, chat="9"),  # another channel's 42
    )
    assert isinstance(first, int)
    assert again is None
    assert isinstance(other, int)
    assert await writer.receive("telegram", "42", record(1), NOW, chat="9") is None
    # A lone insert (the repository) agrees that it is a redelivery.
    async with session_factory(engine).begin() as session:
        assert await InboxRepository(session).receive("telegram", "42", None, NOW) is None
    assert len(await rows(engine)) == 2


async def test_a_delivery_with_nothing_to_do_is_stored_handled(engine: AsyncEngine) -> None:
    writer = InboxWriter(session_factory(engine))
    assert isinstance(await writer.receive("telegram", "7", None, NOW), int)
    (row,) = await rows(engine)
    assert row.handled_at == NOW
    assert row.payload is None
    assert row.chat is None


async def test_a_failed_write_fails_every_delivery_of_its_batch(tmp_path: Path) -> None:
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}")  # no tables
    writer = InboxWriter(session_factory(broken))
    results = await asyncio.gather(
        *(writer.receive("telegram", str(n), record(n), NOW) for n in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, OperationalError) for r in results)
    await broken.dispose()


async def test_a_caller_that_goes_away_does_not_lose_the_others(engine: AsyncEngine) -> None:
    writer = InboxWriter(session_factory(engine))
    first = asyncio.ensure_future(writer.receive("telegram", "1", record(1), NOW))
    second = asyncio.ensure_future(writer.receive("telegram", "2", record(2), NOW))
    await asyncio.sleep(0)
    first.cancel()
    assert isinstance(await second, int)
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.sleep(0.05)  # the cancelled caller's row is still written
    assert sorted(row.external_id for row in await rows(engine)) == ["1", "2"]
