"""Long polling for local runs: events in through getUpdates, replies out, a clean stop."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.zalo_bot.client import ZaloBotError
from bot.services import Bot
from storage.outbox import OutboxRepository
from tests.channels.zalo_bot import (
    CHAT,
    FakeZaloBotApi,
    choices,
    make_runtime,
    refusal,
    text_event,
)

FAST = {"backoff": (0.01, 0.05), "tick_seconds": 0.05}


async def until(condition, seconds: float = 5.0) -> None:
    """Wait for the background loop to get there (or fail the test)."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the polling loop did not get there in time")


async def test_two_events_are_answered_and_the_loop_stops_on_the_stop_event(
    bot: Bot, content
) -> None:
    api = FakeZaloBotApi()
    first = text_event("cach cai vneid", envelope=False)
    api.updates.extend(
        [
            refusal(502, 502, "Bad Gateway"),  # a hiccup: back off and poll again
            first,
            [text_event("to cong nghe so", chat="chat-2", envelope=False)],
            first,  # the platform repeated itself: answered once
        ]
    )
    runtime = make_runtime(bot, api)
    stop = asyncio.Event()
    loop = asyncio.create_task(runtime.run_polling(stop, **FAST))
    await until(lambda: len(api.sent()) >= 2 and len(api.calls_to("getUpdates")) >= 5)
    stop.set()
    await asyncio.wait_for(loop, 2)
    await runtime.stop()

    assert content.intents["vneid.activate"].answer.splitlines()[0] in api.sent(CHAT)[0]
    assert len(api.sent(CHAT)) == 1
    assert content.messages.clarify_prompt in api.sent("chat-2")[0]
    assert api.calls_to("getUpdates")[0].body == {"timeout": 30}


async def test_numbers_work_when_polling_too(bot: Bot, content) -> None:
    api = FakeZaloBotApi()
    runtime = make_runtime(bot, api)
    api.updates.append(text_event("to cong nghe so", envelope=False))
    stop = asyncio.Event()
    loop = asyncio.create_task(runtime.run_polling(stop, **FAST))
    await until(lambda: len(api.sent()) == 1)
    api.push(text_event("1", envelope=False))
    await until(lambda: len(api.sent()) == 2)
    stop.set()
    await asyncio.wait_for(loop, 2)
    await runtime.stop()
    shown = choices(api.sent(CHAT)[0])
    chosen = next(i for i in content.intents.values() if i.title == shown[1])
    assert chosen.answer.splitlines()[0] in api.sent(CHAT)[1]


async def test_upkeep_runs_timers_and_sends_what_others_caused(bot: Bot) -> None:
    api = FakeZaloBotApi()
    runtime = make_runtime(bot, api)
    async with bot.sessions.begin() as session:  # a volunteer's answer, waiting to go out
        await OutboxRepository(session).add("zalobot", CHAT, "💬 Lan: chào bác", now=bot.clock())
    ticks = 0
    default_tick = runtime._default_tick

    async def counting_tick() -> None:
        nonlocal ticks
        ticks += 1
        await default_tick()

    stop = asyncio.Event()
    loop = asyncio.create_task(runtime.run_polling(stop, tick=counting_tick, **FAST))
    await until(lambda: api.sent(CHAT) == ["💬 Lan: chào bác"] and ticks >= 2)
    stop.set()
    await asyncio.wait_for(loop, 2)
    await runtime.stop()


async def test_a_rejected_token_stops_polling(bot: Bot) -> None:
    api = FakeZaloBotApi()
    api.updates.append(refusal(401, 401, "Unauthorized"))
    runtime = make_runtime(bot, api)
    with pytest.raises(ZaloBotError) as error:
        await asyncio.wait_for(runtime.run_polling(asyncio.Event(), **FAST), 2)
    assert error.value.code == 401
    await runtime.stop()


async def test_network_errors_back_off_instead_of_spinning(bot: Bot) -> None:
    api = FakeZaloBotApi()
    api.updates.extend([refusal(503, 503, "Service Unavailable")] * 3)
    runtime = make_runtime(bot, api)
    stop = asyncio.Event()
    loop = asyncio.create_task(runtime.run_polling(stop, backoff=(0.2, 1.0), tick_seconds=1))
    for _ in range(500):  # the second call comes after the first pause (0.2 s)
        if len(api.calls_to("getUpdates")) >= 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the next pause is 0.4 s: no third call meanwhile
    stop.set()
    await asyncio.wait_for(loop, 2)  # the pause is cut short by the stop event
    await runtime.stop()
    assert len(api.calls_to("getUpdates")) == 2  # 0 s, then after 0.2 s; not dozens
