"""Numbered choices, long answers, edits, files and refusals, through the real outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import event, select

from bot import payloads
from bot.channels.zalo_bot.render import MAX_MESSAGE_CHARS
from bot.messages import SHARE_CONTACT, Button, Reply
from bot.services import Bot, queued
from storage.choices import ChoiceMenuRepository
from storage.models import OutboxRow
from storage.outbox import OutboxRepository
from tests.channels.conftest import FakeClock
from tests.channels.zalo_bot import (
    CHAT,
    FakeZaloBotApi,
    Harness,
    choices,
    harness,
    make_runtime,
    refusal,
)


@pytest.fixture
async def channel(bot: Bot) -> AsyncIterator[Harness]:
    async with harness(bot) as opened:
        yield opened


async def queue(
    bot: Bot, text: str, buttons: Sequence[tuple[str, str]] = (), chat: str = CHAT, **extra
) -> OutboxRow:
    """A message the core decided to send, as it sits in the outbox."""
    async with bot.sessions.begin() as session:
        return await OutboxRepository(session).add(
            "zalobot", chat, text, buttons, now=bot.clock(), **extra
        )


async def outbox_row(bot: Bot, row_id: int) -> OutboxRow:
    async with bot.sessions() as session:
        row = await session.get(OutboxRow, row_id)
        assert row is not None
        return row


async def test_a_clarification_is_answered_by_typing_a_number(channel: Harness, content) -> None:
    citizen = channel.person()
    asked = await citizen.say("to cong nghe so")
    assert content.messages.clarify_prompt in asked
    shown = choices(asked)
    assert len(shown) >= 3  # two or more guesses and "none of these"
    second = next(i for i in content.intents.values() if i.title == shown[2])
    answer = await citizen.say(" 2. ")
    assert second.answer.splitlines()[0] in answer
    assert content.messages.clarify_prompt not in answer


@pytest.mark.parametrize("typed", ["2", " 2 ", "2.", "2)"])
async def test_the_ways_people_type_a_number(channel: Harness, content, typed: str) -> None:
    citizen = channel.person()
    shown = choices(await citizen.say("to cong nghe so"))
    second = next(i for i in content.intents.values() if i.title == shown[2])
    assert second.answer.splitlines()[0] in await citizen.say(typed)


async def test_a_number_that_names_no_choice_is_text(channel: Harness, content) -> None:
    citizen = channel.person()
    await citizen.say("to cong nghe so")
    answer = await citizen.say("99")
    assert content.messages.fallback.splitlines()[0] in answer


async def test_the_choice_titles_typed_in_words_still_work(channel: Harness, content) -> None:
    """Without numbers the message is plain text, and the matcher knows the titles."""
    citizen = channel.person()
    shown = choices(await citizen.say("to cong nghe so"))
    second = next(i for i in content.intents.values() if i.title == shown[2])
    assert second.answer.splitlines()[0] in await citizen.say(second.title)


async def test_numbers_keep_counting_across_the_replies_of_one_answer_on_any_worker(
    bot: Bot, clock: FakeClock, content
) -> None:
    menu_payload = payloads.encode("menu")
    person_payload = payloads.encode("person")
    async with harness(bot) as first:
        await queue(bot, "Chọn chủ đề:", [("Một", "t:one"), ("Hai", "t:two")])
        await queue(bot, "Hoặc:", [("Menu chính", menu_payload), ("Gặp người", person_payload)])
        assert await first.runtime.dispatcher.flush() == 2
        one, two = first.api.sent(CHAT)
        assert choices(one) == {1: "Một", 2: "Hai"}
        assert choices(two) == {3: "Menu chính", 4: "Gặp người"}
    # Another worker (a new runtime over the same database) gets the answer "3".
    async with harness(bot) as other:
        answer = await other.person().say("3")
        assert content.messages.menu_prompt in answer
        async with bot.sessions() as session:
            menu = await ChoiceMenuRepository(session).get("zalobot", CHAT)
        assert menu is not None
        assert menu.payloads[0] == payloads.encode("topic", "public_services")  # restarted at 1
        assert choices(answer)[1] == content.messages.topic_titles["public_services"]


async def test_numbers_restart_after_a_pause(bot: Bot, clock: FakeClock) -> None:
    async with harness(bot) as channel:
        await queue(bot, "Chọn:", [("Một", "t:one"), ("Hai", "t:two")])
        await channel.runtime.dispatcher.flush()
        clock.advance(seconds=11)
        await queue(bot, "Chọn lại:", [("Ba", "t:three")])
        await channel.runtime.dispatcher.flush()
        assert choices(channel.api.sent(CHAT)[-1]) == {1: "Ba"}


async def test_a_message_without_choices_in_the_same_answer_keeps_the_numbers(
    channel: Harness, content
) -> None:
    citizen = channel.person()
    shown = choices(await citizen.say("to cong nghe so"))
    await queue(channel.bot, "Lưu ý: đừng gửi mã OTP cho ai.")  # sent moments later
    assert "OTP" in await citizen.inbox()
    second = next(i for i in content.intents.values() if i.title == shown[2])
    assert second.answer.splitlines()[0] in await citizen.say("2")


async def test_a_later_message_without_choices_ends_the_old_numbers(
    channel: Harness, clock: FakeClock, content
) -> None:
    citizen = channel.person()
    shown = choices(await citizen.say("to cong nghe so"))
    second = next(i for i in content.intents.values() if i.title == shown[2])
    clock.advance(minutes=3)
    await queue(channel.bot, "💬 Lan: bác thử mấy lần rồi ạ?")  # a volunteer's question
    assert "mấy lần" in await citizen.inbox()
    answer = await citizen.say("2")  # words now, not the second choice
    assert second.answer.splitlines()[0] not in answer


async def test_a_long_answer_is_split_with_the_numbers_on_the_last_message(
    channel: Harness,
) -> None:
    paragraphs = [f"Đoạn {n}: " + "hướng dẫn từng bước rất chi tiết " * 12 for n in range(14)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 5000
    await queue(channel.bot, text, [("Hữu ích", "f+:x"), ("Chưa đúng ý", "f-:x")])
    await channel.runtime.dispatcher.flush()
    sent = channel.api.sent(CHAT)
    assert len(sent) >= 3
    assert all(len(message) <= MAX_MESSAGE_CHARS for message in sent)
    assert all(choices(message) == {} for message in sent[:-1])
    assert choices(sent[-1]) == {1: "Hữu ích", 2: "Chưa đúng ý"}
    body = "\n\n".join(sent)
    assert all(paragraph.strip() in body for paragraph in paragraphs)  # cut between paragraphs


async def test_an_edit_is_sent_as_a_new_message(channel: Harness) -> None:
    original = await queue(channel.bot, "Yêu cầu HT-7K4P", [("Nhận", "c:HT-7K4P")])
    await channel.runtime.dispatcher.flush()
    await queue(channel.bot, "Yêu cầu HT-7K4P đã có người nhận.", edit_of=original.id)
    assert await channel.runtime.dispatcher.flush() == 1
    assert channel.api.sent(CHAT)[-1] == "Yêu cầu HT-7K4P đã có người nhận."
    assert len(channel.api.calls_to("sendMessage")) == 2


async def test_a_file_becomes_a_sentence_and_the_share_phone_button_is_left_out(
    channel: Harness,
) -> None:
    await queue(
        channel.bot,
        "📊 Báo cáo tháng 11.",
        [("📱 Gửi số điện thoại của tôi", SHARE_CONTACT), ("Xong", "m")],
        attachment=("bao-cao.xlsx", "application/vnd.ms-excel", b"PK\x03\x04"),
    )
    await channel.runtime.dispatcher.flush()
    [text] = channel.api.sent(CHAT)
    t = channel.bot.assistant.t
    notice = t("zalo_attachment_elsewhere")
    assert text.startswith("📊 Báo cáo tháng 11.\n\n" + notice)
    assert choices(text) == {1: "Xong"}
    assert "số điện thoại" not in text


@pytest.mark.parametrize(
    ("answer", "status", "kind", "retry_after"),
    [
        (refusal(403, 403, "User has blocked the bot"), "undeliverable", "blocked", None),
        (refusal(200, 400, "Bad Request: chat not found"), "undeliverable", "other", None),
        (refusal(429, 429, "Too Many Requests", retry_after=42), "pending", "other", 42),
        (refusal(502, 502, "Bad Gateway"), "pending", "other", None),
        (httpx.ReadTimeout("slow"), "pending", "other", None),
    ],
    ids=["blocked", "bad-request", "rate-limited", "bad-gateway", "timeout"],
)
async def test_refusals_settle_or_postpone_the_outbox_row(
    bot: Bot, clock: FakeClock, answer, status: str, kind: str, retry_after: int | None
) -> None:
    async with harness(bot) as channel:
        channel.api.fail("sendMessage", answer)
        row = await queue(bot, "Tin nhắn cho bác")
        assert await channel.runtime.dispatcher.flush() == 0
        stored = await outbox_row(bot, row.id)
        assert stored.status == status
        assert stored.error is not None
        assert stored.error.startswith(kind + ":")
        assert "Tin nhắn cho bác" not in stored.error
        if retry_after is not None:
            assert stored.lease_until is not None
            assert (stored.lease_until - clock()).total_seconds() == retry_after
        if status == "pending":  # tried again later, and then it goes through
            clock.advance(minutes=10)
            assert await channel.runtime.dispatcher.flush() == 1


async def test_a_failed_send_does_not_shift_the_numbers(bot: Bot) -> None:
    api = FakeZaloBotApi()
    runtime = make_runtime(bot, api)
    api.fail("sendMessage", refusal(502, 502, "Bad Gateway"))
    await queue(bot, "Chọn:", [("Một", "t:one"), ("Hai", "t:two")])
    await runtime.dispatcher.flush()
    async with bot.sessions() as session:
        assert await ChoiceMenuRepository(session).get("zalobot", CHAT) is None
    await runtime.stop()


async def test_the_volunteers_words_reach_the_citizen_in_order(channel: Harness) -> None:
    for n in range(5):
        await queue(channel.bot, f"💬 Lan: tin {n}")
    await channel.runtime.dispatcher.flush()
    assert channel.api.sent(CHAT) == [f"💬 Lan: tin {n}" for n in range(5)]


async def test_rows_for_another_chat_are_numbered_on_their_own(channel: Harness) -> None:
    await queue(channel.bot, "A:", [("Một", "t:one")], chat="chat-a")
    await queue(channel.bot, "B:", [("Hai", "t:two")], chat="chat-b")
    await channel.runtime.dispatcher.flush()
    assert choices(channel.api.sent("chat-a")[0]) == {1: "Một"}
    assert choices(channel.api.sent("chat-b")[0]) == {1: "Hai"}
    async with channel.bot.sessions() as session:
        rows = (await session.execute(select(OutboxRow.status))).scalars().all()
    assert set(rows) == {"sent"}


def statements_on(bot: Bot, table: str) -> list[str]:
    """Every SQL statement naming `table` from now on (the list fills as they run)."""
    seen: list[str] = []
    engine = bot.sessions.kw["bind"].sync_engine

    def on_execute(conn, cursor, statement: str, *args) -> None:
        if table in statement:
            seen.append(" ".join(statement.split())[:30])

    event.listen(engine, "before_cursor_execute", on_execute)
    return seen


async def test_an_answer_numbers_its_choices_from_1_without_reading_the_last_menu(
    channel: Harness, content
) -> None:
    """A notice with choices shown a moment before does not shift the answer's numbers, and
    the answer stores its menu in one statement: nothing read first, nothing closed, nothing
    written by the send."""
    await queue(channel.bot, "Chọn:", [("Một", "t:one"), ("Hai", "t:two")])
    await channel.runtime.dispatcher.flush()
    citizen = channel.person()
    assert choices(await citizen.inbox()) == {1: "Một", 2: "Hai"}
    seen = statements_on(channel.bot, "choice_menus")
    shown = choices(await citizen.say("to cong nghe so"))
    assert min(shown) == 1
    assert "Một" not in shown.values()
    assert len(seen) == 1  # on PostgreSQL, the menu rides on the reply's INSERT
    assert seen[0].startswith(("INSERT INTO choice_menus", "WITH logged AS"))
    second = next(i for i in content.intents.values() if i.title == shown[2])
    assert second.answer.splitlines()[0] in await citizen.say("2")


async def test_an_answers_second_reply_numbers_on_after_the_first(bot: Bot) -> None:
    """The answer numbers its replies and stores their menu; the sends only show it."""
    async with harness(bot) as channel:
        first = Reply("Chọn chủ đề:", (Button("Một", "t:one"), Button("Hai", "t:two")))
        second = Reply("Hoặc:", (Button("📱 Số của tôi", SHARE_CONTACT), Button("Ba", "t:three")))
        third = Reply("Lưu ý: đừng gửi mã OTP cho ai.")
        rows = queued([first, second, third], numbered=True)
        assert [row.menu_from for row in rows] == [1, 3, 4]  # the phone button is not shown
        assert [row.menu_from for row in queued([first, second])] == [None, None]
        seen = statements_on(bot, "choice_menus")
        for reply, row in zip([first, second, third], rows, strict=True):
            await channel.runtime.sender.send(CHAT, replace(reply, menu_from=row.menu_from))
        sent = channel.api.sent(CHAT)
        assert choices(sent[0]) == {1: "Một", 2: "Hai"}
        assert choices(sent[1]) == {3: "Ba"}
        assert choices(sent[2]) == {}
        assert seen == []  # the answer stored the menu, not the sends


async def test_an_answer_stores_the_numbers_its_replies_show(channel: Harness, content) -> None:
    """One upsert in the answer's transaction: the clarification's choices, from 1; a later
    answer replaces them (an answer without choices leaves none)."""
    citizen = channel.person()
    shown = choices(await citizen.say("to cong nghe so"))
    async with channel.bot.sessions() as session:
        menu = await ChoiceMenuRepository(session).get("zalobot", CHAT)
    assert menu is not None
    assert len(menu.payloads) == len(shown) == max(shown)
    await citizen.say("2")
    async with channel.bot.sessions() as session:
        after = await ChoiceMenuRepository(session).get("zalobot", CHAT)
    assert after is not None
    assert after.payloads != menu.payloads
