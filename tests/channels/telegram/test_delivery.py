"""Sending through the outbox: Telegram's refusals, flood limits, menus and failures."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.telegram.runtime import TelegramRuntime
from bot.logs import hashed_id
from bot.services import Bot
from storage import session_factory
from storage.models import OutboxRow
from storage.outbox import OutboxRepository
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import TelegramPerson

CHAT = 5550001


async def _queue(engine: AsyncEngine, clock, text: str = "Xin chào", sender_id=None) -> int:
    async with session_factory(engine).begin() as session:
        row = await OutboxRepository(session).add(
            "telegram", str(CHAT), text, now=clock(), sender_id=sender_id
        )
        return row.id


async def _row(engine: AsyncEngine, row_id: int) -> OutboxRow:
    async with session_factory(engine)() as session:
        row = await session.get(OutboxRow, row_id)
        assert row is not None
        return row


async def test_a_flood_limit_waits_the_time_telegram_asks(runtime, api: FakeBotAPI, engine, clock):
    row_id = await _queue(engine, clock)
    api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    assert await runtime.dispatcher.flush() == 0
    row = await _row(engine, row_id)
    assert row.status == "pending"
    assert row.lease_until is not None
    assert 7 <= (row.lease_until - clock()).total_seconds() <= 8
    assert await runtime.dispatcher.flush() == 0  # not before the wait is over
    clock.advance(seconds=8)
    assert await runtime.dispatcher.flush() == 1
    assert (await _row(engine, row_id)).status == "sent"


async def test_a_blocked_person_is_undeliverable_and_the_writer_is_told(
    telegram_people, runtime, api: FakeBotAPI, engine, clock
):
    volunteer = telegram_people(5550009)
    await volunteer.say("/toi")  # the volunteer exists and is reachable on Telegram
    async with session_factory(engine)() as session:
        from storage.people import PeopleRepository

        identity = await PeopleRepository(session).identity("telegram", "5550009")
        assert identity is not None
        writer = identity.person_id
    row_id = await _queue(engine, clock, "Bác thử lại nhé", sender_id=writer)
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await runtime.dispatcher.flush()
    row = await _row(engine, row_id)
    assert row.status == "undeliverable"
    assert row.error == "blocked: telegram: Forbidden: bot was blocked by the user"
    assert await volunteer.flush() == [runtime.bot.assistant.t("undeliverable_blocked")]


async def test_an_edit_of_a_message_never_sent_becomes_a_new_message(
    runtime, api: FakeBotAPI, engine, clock
):
    async with session_factory(engine).begin() as session:
        outbox = OutboxRepository(session)
        original = await outbox.add("telegram", str(CHAT), "Có yêu cầu mới", now=clock())
        await outbox.mark_sent(original, clock(), platform_message_id="77")
        await outbox.add(
            "telegram", str(CHAT), "Đã có người nhận", now=clock(), edit_of=original.id
        )
    await runtime.dispatcher.flush()
    [edit] = api.sent(CHAT, method="editMessageText")
    assert (edit.params["message_id"], edit.params["text"]) == (77, "Đã có người nhận")
    api.fail("editMessageText", 400, "Bad Request: message to edit not found")
    async with session_factory(engine).begin() as session:
        await OutboxRepository(session).add(
            "telegram", str(CHAT), "Yêu cầu đã xong", now=clock(), edit_of=original.id
        )
    await runtime.dispatcher.flush()
    assert api.texts(CHAT)[-1] == "Yêu cầu đã xong"


async def test_menus_follow_the_role(telegram_people, runtime, api: FakeBotAPI):
    operator, leader = telegram_people(5550005), telegram_people(5550004)
    await operator.say("/toi")
    [scoped] = list(api.sent(method="setMyCommands"))
    assert scoped.params["scope"] == {"type": "chat", "chat_id": 5550005}
    assert "totruong" in [c["command"] for c in scoped.params["commands"]]
    handle = "\n".join(await leader.say("/toi")).split("Mã của anh/chị: ")[1].split()[0]
    await operator.say(f"/totruong {handle} xa ia grai gia lai")
    await runtime.upkeep()  # the worker notices the leader's new role
    leader_menu = [
        c for c in api.sent(method="setMyCommands") if c.params["scope"].get("chat_id") == 5550004
    ]
    assert len(leader_menu) == 1
    assert "baocao" in [c["command"] for c in leader_menu[0].params["commands"]]
    await operator.say(f"/thuhoi {handle}")
    await runtime.upkeep()
    [removed] = api.sent(method="deleteMyCommands")
    assert removed.params["scope"] == {"type": "chat", "chat_id": 5550004}
    await runtime.upkeep()
    assert len(api.sent(method="deleteMyCommands")) == 1  # done once, not every round


async def test_a_message_that_changes_no_role_looks_for_no_outdated_menu(
    telegram_people, runtime, api: FakeBotAPI, bot: Bot
):
    """The role is read with the person; the "/" list is only checked when it changed."""
    citizen = telegram_people(5550006)
    await citizen.say("lam can cuoc o dau")
    looked: list[str] = []

    def on_execute(conn, cursor, statement: str, *args) -> None:
        if "menu_role" in statement and "coalesce" in statement.lower():
            looked.append(statement)

    event.listen(bot.sessions.kw["bind"].sync_engine, "before_cursor_execute", on_execute)
    answer = await citizen.say("quen mat khau vneid")
    assert answer
    assert looked == []
    assert not api.sent(method="setMyCommands")


async def test_an_error_logs_no_text_sends_no_apology_and_keeps_running(
    telegram_people, runtime, api: FakeBotAPI, bot: Bot, monkeypatch, caplog
):
    """A webhook update is stored: after a failure it is replayed, so no "send it again"."""
    farmer = telegram_people(CHAT)
    original = Bot.answer

    async def broken(self: Bot, message, **options) -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(Bot, "answer", broken)
    with caplog.at_level(logging.INFO):
        replies = await farmer.say("so cccd cua toi la 012345678901")
    assert replies == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "update failed" in logged
    assert f"chat_id={hashed_id(CHAT)} error=RuntimeError" in logged  # never the raw id
    assert str(CHAT) not in logged
    assert "012345678901" not in logged
    assert "cccd" not in logged
    monkeypatch.setattr(Bot, "answer", original)
    [answer] = await farmer.say("cach kich hoat tai khoan dinh danh dien tu muc 2")
    assert "VNeID" in answer  # still alive


async def test_in_polling_mode_a_failure_is_apologised_for(
    bot: Bot, api: FakeBotAPI, monkeypatch
) -> None:
    """Polling stores nothing: a failed update is lost, so the citizen is asked to resend."""
    runtime = TelegramRuntime(
        bot, "123456:TEST-TOKEN", "", request=api, rate_limit=False, polling=True
    )
    await runtime.start()
    try:
        farmer = TelegramPerson(runtime, api, CHAT)

        async def broken(self: Bot, message, **options) -> int:
            raise RuntimeError("database went away")

        monkeypatch.setattr(Bot, "answer", broken)
        assert await farmer.say("cach cai vneid") == [bot.assistant.t("error_apology")]
    finally:
        await runtime.stop()


async def test_a_row_for_a_chat_id_that_is_not_a_number_fails_once(
    runtime, api: FakeBotAPI, engine, clock, caplog
):
    """A chat id "abc" (the webhook refuses it now) was retried six times, crashing each time."""
    async with session_factory(engine).begin() as session:
        row = await OutboxRepository(session).add("telegram", "abc", "Xin chào", now=clock())
        row_id = row.id
    await runtime.dispatcher.flush()
    clock.advance(minutes=10)
    await runtime.dispatcher.flush()
    row = await _row(engine, row_id)
    assert row.status == "undeliverable"
    assert row.attempts == 1
    assert api.sent() == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
