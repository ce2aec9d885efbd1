"""`Bot.answer` says whether the answer queued messages for someone else (`others`).

The channel wakes its dispatcher only then: a burst of FAQ answers used to wake a whole
background round (timers, replays, reminders) after every message.
"""

from __future__ import annotations

from bot.messages import ConversationKey, IncomingMessage
from bot.services import Bot
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
