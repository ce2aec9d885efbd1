"""Failed sends are logged sparingly: a few lines, then one summary per interval."""

from __future__ import annotations

import logging

import pytest

from bot.delivery import SendError
from bot.messages import Reply
from bot.services import Bot
from storage.outbox import OutboxRepository
from tests.support.conftest import FakeClock

CHANNEL = "zalobot"


class RefusingPlatform:
    """The outside world: every person blocked the bot (or, with `final=False`, it is down)."""

    channel = CHANNEL

    def __init__(self, final: bool) -> None:
        self.final = final
        self.calls = 0

    async def send(self, external_id: str, reply: Reply) -> str | None:
        self.calls += 1
        raise SendError("blocked" if self.final else "timeout", final=self.final, kind="blocked")

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        return await self.send(external_id, reply)


async def queue(bot: Bot, chats: int) -> None:
    async with bot.sessions.begin() as session:
        outbox = OutboxRepository(session)
        for n in range(chats):
            await outbox.add(CHANNEL, f"chat{n}", "Chào bạn", now=bot.clock())


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.delivery" and r.levelno >= logging.INFO
    ]


@pytest.mark.parametrize("final", [True, False])
async def test_a_burst_of_failures_logs_five_lines_then_one_summary(
    bot: Bot, clock: FakeClock, caplog: pytest.LogCaptureFixture, final: bool
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery")
    platform = RefusingPlatform(final)
    dispatcher = bot.dispatcher(platform)
    await queue(bot, 200)
    await dispatcher.flush()
    await dispatcher.drain()
    assert platform.calls == 200  # every row was tried: the backoff is unchanged
    lines = failure_lines(caplog)
    what = "undeliverable" if final else "send postponed"
    assert len(lines) == 5
    assert all(line.startswith(f"{what} channel=zalobot outbox=") for line in lines)
    assert "Chào" not in " ".join(lines)  # never the words

    clock.advance(seconds=61)  # the interval is over: the next round writes its summary
    await dispatcher.flush()
    await dispatcher.drain()
    lines = failure_lines(caplog)
    # Postponed rows are due again by now: tried again, they open a new interval (5 lines).
    assert len(lines) == (6 if final else 11)
    assert platform.calls == (200 if final else 400)
    given_up, postponed = (195, 0) if final else (0, 195)
    assert lines[5] == (
        "send failures channel=zalobot not logged one by one in the last 60s: "
        f"undeliverable={given_up} postponed={postponed} "
        f"({what}/{'blocked' if final else 'timeout'}=195)"
    )
    await dispatcher.flush()  # nothing new in this interval: no second summary
    assert len(failure_lines(caplog)) == len(lines)
