"""Long polling for local runs: events in through getUpdates, replies out, a clean stop.

No test here waits a fixed time: each waits for the fake platform to record the call it
expects (an event set on every call), or for a round of the shared worker to finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.channels.zalo_bot.client import ZaloBotError
from bot.services import Bot
from bot.worker import Worker
from storage.models import TimerRow
from storage.outbox import OutboxRepository
from storage.timers import TimerRepository
from tests.channels.zalo_bot import (
    CHAT,
    Call,
    FakeZaloBotApi,
    choices,
    make_runtime,
    refusal,
    text_event,
)

FAST = {"backoff": (0.01, 0.05)}
PATIENCE = 30.0  # only a hang protection: every wait below ends on an event


class Calls(list[Call]):
    """The fake platform's record of calls, setting `changed` at each new one."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def append(self, call: Call) -> None:
        super().append(call)
        self.changed.set()


def watched() -> FakeZaloBotApi:
    api = FakeZaloBotApi()
    api.calls = Calls()
    return api


async def until(api: FakeZaloBotApi, condition: Callable[[], bool]) -> None:
    """Wait until the platform's calls satisfy `condition` (checked at every new call)."""
    calls = api.calls
    assert isinstance(calls, Calls)

    async def wait() -> None:
        while not condition():
            calls.changed.clear()
            await calls.changed.wait()

    await asyncio.wait_for(wait(), PATIENCE)


async def test_two_events_are_answered_and_the_loop_stops_on_the_stop_event(
    bot: Bot, content
) -> None:
    api = watched()
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
    # The fifth poll waits for news: every event before it was consumed.
    await until(api, lambda: len(api.calls_to("getUpdates")) >= 5)
    await runtime.drain()
    stop.set()
    await asyncio.wait_for(loop, PATIENCE)
    await runtime.stop()

    assert content.intents["vneid.activate"].answer.splitlines()[0] in api.sent(CHAT)[0]
    assert len(api.sent(CHAT)) == 1
    assert content.messages.clarify_prompt in api.sent("chat-2")[0]
    assert api.calls_to("getUpdates")[0].body == {"timeout": 30}


async def test_numbers_work_when_polling_too(bot: Bot, content) -> None:
    api = watched()
    runtime = make_runtime(bot, api)
    api.updates.append(text_event("to cong nghe so", envelope=False))
    stop = asyncio.Event()
    loop = asyncio.create_task(runtime.run_polling(stop, **FAST))
    await until(api, lambda: len(api.sent()) == 1)
    api.push(text_event("1", envelope=False))
    await until(api, lambda: len(api.sent()) == 2)
    stop.set()
    await asyncio.wait_for(loop, PATIENCE)
    await runtime.stop()
    shown = choices(api.sent(CHAT)[0])
    chosen = next(i for i in content.intents.values() if i.title == shown[1])
    assert chosen.answer.splitlines()[0] in api.sent(CHAT)[1]


async def test_the_shared_worker_runs_timers_and_sends_what_others_caused(bot: Bot) -> None:
    """Polling has no upkeep loop of its own: the `Worker` every entry point runs does it."""
    api = watched()
    runtime = make_runtime(bot, api)
    async with bot.sessions.begin() as session:  # a volunteer's answer, waiting to go out
        await OutboxRepository(session).add("zalobot", CHAT, "💬 Lan: chào bác", now=bot.clock())
        await TimerRepository(session).schedule("escalate", bot.clock())  # due now
    worker = Worker(bot, [runtime], interval=3600)  # only woken rounds run in this test
    stop = asyncio.Event()
    loop = asyncio.create_task(runtime.run_polling(stop, worker=worker, **FAST))
    counts = await asyncio.wait_for(worker.next_round(), PATIENCE)  # the first round
    assert (counts["timers"], counts["sent_zalobot"]) == (1, 1)
    assert api.sent(CHAT) == ["💬 Lan: chào bác"]
    async with bot.sessions() as session:
        assert (await session.scalars(select(TimerRow.done_at))).one() is not None

    # A message whose answer leaves a notification for someone else wakes the dispatcher
    # (`Answered.others`): the notification goes out now, not after the (hour-long, here)
    # interval, in a round of sends only: a timer due meanwhile waits for the interval.
    async with bot.sessions.begin() as session:
        await OutboxRepository(session).add("zalobot", "chat-2", "🔔 Thông báo", now=bot.clock())
        await TimerRepository(session).schedule("escalate", bot.clock())  # due now
    runtime.dispatcher.wake()
    await until(api, lambda: api.sent("chat-2") == ["🔔 Thông báo"])
    async with bot.sessions() as session:
        done = list(await session.scalars(select(TimerRow.done_at).order_by(TimerRow.id)))
    assert done[0] is not None
    assert done[1] is None
    stop.set()
    await asyncio.wait_for(loop, PATIENCE)
    await runtime.stop()


async def test_a_rejected_token_stops_polling(bot: Bot) -> None:
    api = watched()
    api.updates.append(refusal(401, 401, "Unauthorized"))
    runtime = make_runtime(bot, api)
    with pytest.raises(ZaloBotError) as error:
        await asyncio.wait_for(runtime.run_polling(asyncio.Event(), **FAST), PATIENCE)
    assert error.value.code == 401
    await runtime.stop()


async def test_network_errors_back_off_instead_of_spinning(bot: Bot) -> None:
    api = watched()
    api.updates.extend([refusal(503, 503, "Service Unavailable")] * 3)
    runtime = make_runtime(bot, api)
    stop = asyncio.Event()
    loop = asyncio.create_task(runtime.run_polling(stop, backoff=(3600.0, 3600.0)))
    await until(api, lambda: len(api.calls_to("getUpdates")) == 1)
    for _ in range(200):  # a loop without a pause would poll again within a few turns
        await asyncio.sleep(0)
    assert len(api.calls_to("getUpdates")) == 1
    stop.set()
    await asyncio.wait_for(loop, PATIENCE)  # the hour's pause is cut short by the stop event
    await runtime.stop()
    assert len(api.calls_to("getUpdates")) == 1
