"""The conversation-state repository: one contract, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assistant import Assistant
from bot.dialogue import Dialogue
from bot.messages import ConversationKey, IncomingMessage
from bot.services import Bot, conversation_store
from bot.state import ConversationState
from bot.support.common import SupportConfig, Toolkit
from storage import create_engine, session_factory
from storage.conversations import forget_idle_before
from storage.models import ConversationRow

ALICE = ConversationKey("telegram", "1001")


def assistant(content, matcher, places) -> Assistant:
    return Assistant(Dialogue(content, matcher), Toolkit(content.support, places, SupportConfig()))


BOB = ConversationKey("zalo", "1001")  # same id, another channel: another conversation


async def test_unknown_conversation_loads_a_fresh_state(engine: AsyncEngine) -> None:
    async with session_factory(engine).begin() as session:
        assert await conversation_store(session).load(ALICE) == ConversationState()


async def test_saved_state_survives_the_transaction(engine: AsyncEngine) -> None:
    state = ConversationState(2, ("dvc.login", "vneid.activate"), "dvc.login")
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await conversation_store(session).save(ALICE, state)
    async with sessions.begin() as session:
        store = conversation_store(session)
        assert await store.load(ALICE) == state
        assert await store.load(BOB) == ConversationState()


async def test_repositories_never_commit(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        await conversation_store(session).save(ALICE, ConversationState(1))
        await session.rollback()
    async with sessions.begin() as session:
        assert await conversation_store(session).load(ALICE) == ConversationState()


async def test_saving_again_replaces_and_counts_versions(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    for streak in (1, 2, 3):
        async with sessions.begin() as session:
            await conversation_store(session).save(ALICE, ConversationState(streak))
    async with sessions.begin() as session:
        row = (await session.execute(select(ConversationRow))).scalar_one()
        assert (row.version, row.state["fallback_streak"]) == (3, 3)
        assert row.updated_at.tzinfo is not None


async def test_the_conversation_is_stamped_by_the_bots_clock(engine: AsyncEngine) -> None:
    """The retention period counts from `updated_at`: a fixed clock (a test, a replay) must
    age conversations as it ages everything else, not the wall clock."""
    then = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await conversation_store(session, lambda: then).save(ALICE, ConversationState(1))
    async with sessions.begin() as session:
        row = (await session.execute(select(ConversationRow))).scalar_one()
        assert row.updated_at == then
        assert await forget_idle_before(session, then) == 0
        assert await forget_idle_before(session, then + timedelta(seconds=1)) == 1


async def test_an_unchanged_state_is_not_written_again_but_its_time_moves_on(
    engine: AsyncEngine,
) -> None:
    """Most answers leave the state as it was: the row is then not updated a second time
    (one statement fewer per message), yet its time moves on, so an active conversation is
    never purged as idle."""
    first = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    later = first + timedelta(days=200)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await conversation_store(session, lambda: first).save(ALICE, ConversationState(1))
    async with sessions.begin() as session:
        store = conversation_store(session, lambda: later)
        state = await store.load(ALICE)
        await store.save(ALICE, state)  # the same state
    async with sessions.begin() as session:
        row = (await session.execute(select(ConversationRow))).scalar_one()
        assert row.version == 1  # not written again
        assert row.updated_at == later  # but stamped by this message
        assert await forget_idle_before(session, later) == 0


async def test_delete_forgets_the_conversation(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await conversation_store(session).save(ALICE, ConversationState(1))
        await conversation_store(session).save(BOB, ConversationState(1))
    async with sessions.begin() as session:
        await conversation_store(session).delete(ALICE)
        await conversation_store(session).delete(ConversationKey("telegram", "nobody"))
    async with sessions.begin() as session:
        count = await session.scalar(select(func.count()).select_from(ConversationRow))
        assert count == 1


async def test_conversations_idle_for_the_retention_period_are_forgotten(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await conversation_store(session).save(ALICE, ConversationState(1))
        await conversation_store(session).save(BOB, ConversationState(1))
    async with sessions.begin() as session:
        bob = await session.get(ConversationRow, ("zalo", "1001"))
        assert bob is not None
        bob.updated_at = datetime(2020, 1, 1, tzinfo=UTC)  # silent for years
    async with sessions.begin() as session:
        assert await forget_idle_before(session, datetime(2021, 1, 1, tzinfo=UTC)) == 1
    async with sessions.begin() as session:
        kept = (await session.execute(select(ConversationRow.channel))).scalars().all()
        assert kept == ["telegram"]


async def test_another_process_continues_the_conversation(
    database_url: str, content, matcher, places
) -> None:
    """Two engines on one database stand for two workers: state is shared, not in memory."""
    first, second = create_engine(database_url), create_engine(database_url)
    try:
        bot_one = Bot(assistant(content, matcher, places), session_factory(first))
        bot_two = Bot(assistant(content, matcher, places), session_factory(second))
        [reply] = await bot_one.handle(IncomingMessage(ALICE, text="xyzzy plugh qwertz"))
        assert reply.text == content.messages.fallback
        [reply] = await bot_two.handle(IncomingMessage(ALICE, text="blorp zzyzx frobnicate"))
        assert reply.text == content.messages.fallback_offer_person
    finally:
        await first.dispose()
        await second.dispose()


async def test_concurrent_messages_of_one_person_are_not_lost(
    database_url: str, content, matcher, places
) -> None:
    """Each message's transaction locks the conversation row: no lost updates."""
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        bots = [Bot(assistant(content, matcher, places), session_factory(e)) for e in engines]
        junk = IncomingMessage(ALICE, text="xyzzy plugh qwertz")
        await asyncio.gather(*(bot.handle(junk) for bot in bots))
        async with session_factory(engines[0]).begin() as session:
            state = await conversation_store(session).load(ALICE)
        assert state.fallback_streak == 3
    finally:
        for engine in engines:
            await engine.dispose()
