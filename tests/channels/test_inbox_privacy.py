"""What the inbox keeps of a delivery, for how long, and what happens when handling fails.

Reproduces issue 11 §1 and §14: a Zalo Bot update holding an ID number, phones, an e-mail, an
OTP, an account number and a password used to be stored whole and kept forever; a failure
while handling a stored update used to send "please send it again" for a message that was
answered a minute later anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.services import Bot
from bot.worker import Worker
from storage.inbox import InboxRepository
from storage.inbox_writer import InboxWriter
from storage.models import Base, InboundEventRow, OutboxRow
from tests.channels.conftest import FakeClock
from tests.channels.zalo_bot import CHAT, harness, text_event

RAW = {
    "id": "079203004512",
    "phone": "0912 345 678",
    "phone2": "+84987654321",
    "email": "nguyen.van.an@gmail.com",
    "otp": "482913",
    "account": "1903 6677 8899 012",
    "password": "Hoa@sen2026",
}
PERSONAL = (
    f"so cccd cua toi {RAW['id']}, sdt {RAW['phone']} hoac {RAW['phone2']}, "
    f"email {RAW['email']}, ma otp la {RAW['otp']}, tai khoan {RAW['account']}, "
    f"mat khau la {RAW['password']} ma khong vao duoc vneid"
)


def leaked(blob: str | bytes) -> list[str]:
    """The raw values found in `blob` (digits also without their spaces)."""
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    found = []
    for name, value in RAW.items():
        if value in text or value.replace(" ", "") in text:
            found.append(name)
    return found


async def inbox_rows(bot: Bot) -> list[InboundEventRow]:
    async with bot.sessions() as session:
        return list((await session.execute(select(InboundEventRow))).scalars())


async def outbox_rows(bot: Bot) -> list[OutboxRow]:
    async with bot.sessions() as session:
        return list((await session.execute(select(OutboxRow))).scalars())


def broken(error: Exception) -> Callable[[object], Awaitable[int]]:
    async def accept(message: object, **options: object) -> int:
        raise error

    return accept


async def test_a_stored_delivery_is_a_masked_record_until_handled(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with harness(bot) as channel:
        monkeypatch.setattr(bot, "answer", broken(RuntimeError("worker died")))
        assert (await channel.person().post(text_event(PERSONAL))).status_code == 200
        await channel.runtime.drain()
        [row] = await inbox_rows(bot)
        assert row.handled_at is None
        assert row.chat == CHAT
        assert row.payload is not None
        assert leaked(repr(row.payload)) == []
        assert set(row.payload) <= {
            "v",
            "channel",
            "chat",
            "kind",
            "text",
            "message_id",
            "received_at",
        }  # nothing else of the platform's update (names, avatars) is kept
        assert "[số định danh]" in row.payload["text"]
        assert "[mã bí mật]" in row.payload["text"]


async def test_after_handling_nothing_personal_is_left_in_the_database_file(
    bot: Bot, database_url: str
) -> None:
    async with harness(bot) as channel:
        answer = await channel.person().say(PERSONAL)
        assert answer  # the citizen was answered
        [row] = await inbox_rows(bot)
        assert row.handled_at is not None
        assert row.payload is None
        assert row.chat is None
        async with bot.sessions() as session:
            for table in Base.metadata.sorted_tables:  # every table the bot has
                dump = (await session.execute(select(table))).all()
                assert leaked(repr(dump)) == [], table.name
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        for part in path.parent.glob(path.name + "*"):  # the file, its WAL and shared memory
            assert leaked(part.read_bytes()) == [], part.name


async def test_debug_logs_carry_none_of_the_citizens_data(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness(bot) as channel:
        with caplog.at_level(logging.DEBUG):
            assert logging.getLogger().isEnabledFor(logging.DEBUG)
            await channel.person().say(PERSONAL)
    assert any("update handled" in r.getMessage() for r in caplog.records)
    assert leaked(caplog.text) == []
    assert "khong vao duoc" not in caplog.text


async def test_a_failure_is_not_apologised_for_and_the_message_is_answered_later(
    bot: Bot, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    working = bot.answer
    async with harness(bot) as channel:
        monkeypatch.setattr(bot, "answer", broken(OperationalError("SELECT", {}, OSError())))
        await channel.person().post(text_event("cach cai vneid"))
        await channel.runtime.drain()
        worker = Worker(bot, [channel.runtime])
        clock.advance(seconds=30)
        assert (await worker.tick())["replayed"] == 0  # too early: maybe still running
        clock.advance(seconds=40)
        assert (await worker.tick())["replayed"] == 1  # the database is still down
        await channel.runtime.drain()  # the replay runs in the background: let it fail
        await worker.tick()
        await channel.runtime.drain()
        assert channel.api.sent(CHAT) == []  # no apology, no duplicate
        monkeypatch.setattr(bot, "answer", working)  # the database is back
        clock.advance(seconds=70)
        assert (await worker.tick())["replayed"] == 1
        await channel.runtime.drain()
        [answer] = channel.api.sent(CHAT)
        assert "VNeID" in answer
        [row] = await inbox_rows(bot)
        assert row.handled_at is not None
        assert row.attempts == 2


async def test_a_message_that_always_fails_is_given_up_once_with_a_polite_reply(
    bot: Bot, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with harness(bot) as channel:
        monkeypatch.setattr(bot, "answer", broken(RuntimeError("a bug")))
        await channel.person().post(text_event(PERSONAL))
        await channel.runtime.drain()
        worker = Worker(bot, [channel.runtime], max_replays=3)
        given_up = 0
        for _ in range(6):
            clock.advance(seconds=61)
            given_up += (await worker.tick())["given_up"]
            await channel.runtime.drain()
        assert given_up == 1
        assert channel.api.sent(CHAT) == [bot.assistant.t("message_given_up")]
        [row] = await inbox_rows(bot)
        assert row.attempts == 3
        assert row.handled_at is not None
        assert row.payload is None


async def test_delete_my_data_empties_the_inbox_and_the_outbox_of_the_chat(
    bot: Bot, clock: FakeClock
) -> None:
    async with harness(bot) as channel:
        citizen = channel.person()
        await citizen.say("cach cai vneid")
        # A message stored but not handled yet (its worker died): it holds the masked text.
        async with bot.sessions.begin() as session:
            event = text_event(PERSONAL, envelope=False)
            record = {"v": 1, "channel": "zalobot", "chat": CHAT, "kind": "text", "text": "x"}
            await InboxRepository(session).receive(
                "zalobot", event["message"]["message_id"], record, clock(), chat=CHAT
            )
        [answered] = await outbox_rows(bot)  # the answer to the question, as sent
        assert "VNeID" in answered.text
        await citizen.say("/xoadulieu")
        await citizen.say("/xoadulieu xacnhan")
        rows = await inbox_rows(bot)
        assert all(row.payload is None and row.chat is None for row in rows)
        assert all(row.handled_at is not None for row in rows)
        [left] = await outbox_rows(bot)  # only the confirmation of the deletion
        assert left.text == bot.assistant.t("delete_done")


async def test_a_delivery_that_cannot_be_stored_is_not_acknowledged(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: object, **kwargs: object) -> int | None:
        raise OperationalError("INSERT", {}, ConnectionRefusedError())

    async with harness(bot) as channel:
        monkeypatch.setattr(InboxWriter, "_write", down)
        response = await channel.person().post(text_event("cach cai vneid"))
        assert response.status_code == 503  # the platform delivers it again later
        assert channel.api.sent(CHAT) == []
