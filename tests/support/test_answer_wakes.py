"""`Bot.answer` says whether the answer queued messages for someone else (`others`).

The channel wakes its dispatcher only then: a burst of FAQ answers used to wake a whole
background round (timers, replays, reminders) after every message.

And the answer's replies are queued and leased for sending in one statement each.
"""

from __future__ import annotations

from sqlalchemy import event, select

from bot.messages import ConversationKey, IncomingMessage
from bot.services import Bot
from storage.console_models import QuestionLogRow
from storage.inbox import InboxRepository
from storage.models import ConversationRow, InboundEventRow, OutboxRow
from storage.outbox import OutboxRepository
from storage.questions import hour_of
from tests.support.conftest import texts


async def test_an_answer_that_notifies_someone_else_says_so(bot: Bot, people) -> None:
    leader = people("leader")
    handle = (await leader.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]

    question = IncomingMessage(ConversationKey("console", "citizen"), text="lam can cuoc o dau")
    plain = await bot.answer(question)
    assert plain.replies >= 1
    assert not plain.others

    made = IncomingMessage(
        ConversationKey("console", "operator"), text=f"/totruong {handle} xa ia hrung gia lai"
    )
    answered = await bot.answer(made)
    assert answered.others  # the new team leader is told
    assert "tổ trưởng" in texts(await leader.inbox())


def outbox_statements(bot: Bot) -> list[str]:
    """Every statement on the outbox or the question log from now on."""
    seen: list[str] = []

    def on_execute(conn, cursor, statement: str, *args) -> None:
        if "outbox" in statement or "question_log" in statement:
            seen.append(" ".join(statement.split()))

    event.listen(bot.sessions.kw["bind"].sync_engine, "before_cursor_execute", on_execute)
    return seen


async def test_an_answer_queues_and_leases_its_reply_in_one_statement(bot: Bot) -> None:
    seen = outbox_statements(bot)
    question = IncomingMessage(ConversationKey("zalobot", "citizen"), text="lam can cuoc o dau")
    answered = await bot.answer(question)
    assert answered.replies >= 1
    assert [row.id for row in answered.leased] == sorted(row.id for row in answered.leased)
    assert len(answered.leased) == answered.replies
    on_outbox = [statement for statement in seen if "INTO outbox" in statement]
    assert len(on_outbox) == answered.replies  # nothing else: no lease UPDATE
    assert all("UPDATE outbox" not in statement for statement in seen)
    # The question log: its own INSERT on SQLite; on PostgreSQL it rides on the reply's.
    logged = [statement for statement in seen if "question_log" in statement]
    if bot.sessions.kw["bind"].dialect.name == "postgresql":
        assert logged == on_outbox[:1]
        assert len(seen) == answered.replies
    else:
        assert len(logged) == 1
    async with bot.sessions() as session:
        log = (await session.execute(select(QuestionLogRow))).scalars().all()
        assert [(row.channel, row.action) for row in log] == [("zalobot", "answer")]
        assert log[0].at == hour_of(bot.clock())
        stored = await session.get(OutboxRow, answered.leased[0].id)
        assert stored is not None
        assert stored.lease_until is not None
        assert stored.lease_until > bot.clock()
        assert stored.text == answered.leased[0].text


async def test_a_reply_waits_behind_the_chats_earlier_pending_row(bot: Bot) -> None:
    """A notice queued before and not taken yet is leased with the answer, first."""
    async with bot.sessions.begin() as session:
        notice = await OutboxRepository(session).add(
            "zalobot", "citizen", "Yêu cầu của bác đã có người nhận.", now=bot.clock()
        )
    question = IncomingMessage(ConversationKey("zalobot", "citizen"), text="lam can cuoc o dau")
    answered = await bot.answer(question)
    assert answered.leased[0].id == notice.id
    assert answered.leased[0].text.startswith("Yêu cầu của bác")
    assert len(answered.leased) == answered.replies + 1
    assert [row.id for row in answered.leased] == sorted(row.id for row in answered.leased)


async def test_without_a_lease_the_reply_is_left_for_the_dispatcher(bot: Bot) -> None:
    question = IncomingMessage(ConversationKey("zalobot", "citizen"), text="lam can cuoc o dau")
    answered = await bot.answer(question, lease=None)
    assert answered.leased == []
    assert answered.others  # the dispatcher must be woken to send it
    async with bot.sessions() as session:
        rows = (await session.execute(select(OutboxRow))).scalars().all()
    assert len(rows) == answered.replies
    assert all(row.lease_until is None and row.status == "pending" for row in rows)


async def test_the_conversation_state_is_written_with_the_reply(bot: Bot) -> None:
    """The new state rides on the reply's INSERT on PostgreSQL: no UPDATE of its own."""
    key = ConversationKey("zalobot", "citizen")
    await bot.answer(IncomingMessage(key, text="lam can cuoc o dau"))
    seen: list[str] = []

    def on_execute(conn, cursor, statement: str, *args) -> None:
        if "conversations" in statement:
            seen.append(" ".join(statement.split()))

    event.listen(bot.sessions.kw["bind"].sync_engine, "before_cursor_execute", on_execute)
    answered = await bot.answer(IncomingMessage(key, text="chuyen tien nham thi lam sao"))
    assert answered.replies >= 1
    updates = [statement for statement in seen if statement.startswith("UPDATE conversations")]
    if bot.sessions.kw["bind"].dialect.name == "postgresql":
        assert updates == []
        assert [s for s in seen if "saved AS (UPDATE conversations" in s] != []
    else:
        assert len(updates) == 1
    async with bot.sessions() as session:
        row = await session.get(ConversationRow, ("zalobot", "citizen"))
        assert row is not None
        assert row.version == 2
        assert "chuyen tien" in (row.state["last_question"] or "")


async def test_a_stored_delivery_is_settled_with_the_conversations_lock_and_answered_once(
    bot: Bot,
) -> None:
    """On PostgreSQL one statement settles the inbox row, locks the conversation and reads
    the person; a second answer of the same row (a replay racing) is rolled back whole."""
    key = ConversationKey("zalobot", "citizen")
    async with bot.sessions.begin() as session:
        event_id = await InboxRepository(session).receive(
            "zalobot", "m-1", {"text": "x"}, bot.clock(), chat="citizen"
        )
    assert event_id is not None
    seen: list[str] = []

    def on_execute(conn, cursor, statement: str, *args) -> None:
        if any(name in statement for name in ("inbound_events", "conversations", "identities")):
            seen.append(" ".join(statement.split()))

    greeting = await bot.answer(IncomingMessage(key, text="xin chao"))  # the person exists now
    event.listen(bot.sessions.kw["bind"].sync_engine, "before_cursor_execute", on_execute)
    message = IncomingMessage(key, text="lam can cuoc o dau", message_id="m-1")
    first = await bot.answer(message, event_id=event_id)
    assert first.replies >= 1
    # The reply's INSERT and the state's UPDATE (SQLite) aside:
    reads = [s for s in seen if not s.startswith(("WITH logged", "UPDATE conversations"))]
    if bot.sessions.kw["bind"].dialect.name == "postgresql":
        assert len(reads) == 1
        assert "UPDATE inbound_events" in reads[0]
        assert "INSERT INTO conversations" in reads[0]
        assert "FROM conversation LEFT OUTER JOIN identities" in reads[0]
    else:
        assert reads[0].startswith("UPDATE inbound_events")
        assert len(reads) == 3  # settle, lock the conversation, read the person
    again = await bot.answer(
        IncomingMessage(key, text="chuyen tien nham", message_id="m-1"), event_id=event_id
    )
    assert again.replies == 0
    assert again.leased == []
    async with bot.sessions() as session:
        row = await session.get(InboundEventRow, event_id)
        assert row is not None
        assert row.handled_at is not None
        assert row.chat is None
        outbox = (await session.execute(select(OutboxRow))).scalars().all()
        assert len(outbox) == greeting.replies + first.replies  # the replay added nothing
        conversation = await session.get(ConversationRow, ("zalobot", "citizen"))
        assert conversation is not None
        assert "chuyen tien" not in (conversation.state.get("last_question") or "")
