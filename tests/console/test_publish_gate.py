"""The publication gate on its own: an evaluation drop refuses, a reason overrules it; a drop
that is only retraining noise (as many messages won as lost) does not; with no evaluation set
the checks alone run."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from bot.features.content_versions.publish import Gate, adopt, publish, significant
from bot.services import Bot
from content.published import Overlay
from storage.content_versions import ContentVersionRow
from storage.models import PersonRow
from tests.console.conftest import World

CASE = "nhan duoc tin nhan kich hoat vneid roi lam tiep sao"  # labelled vneid.activate
CASES = [  # all labelled vneid.activate; WRONG pulls each of them to dvc.login
    CASE,
    "đã nhận được tin nhắn kích hoạt vneid, làm tiếp thế nào",
    "tin nhắn kích hoạt vneid tới rồi, giờ làm tiếp ra sao",
    "nhận được tin kích hoạt định danh rồi làm tiếp sao",
    "da nhan duoc tin nhan kich hoat vneid, lam tiep sao",
    "nhan dc tin nhan kich hoat vneid r lam tiep sao",
]
WRONG = [  # taught to another intent, they pull the case away from its answer
    "nhận được tin nhắn kích hoạt vneid rồi làm tiếp sao đây",
    "nhan duoc tin nhan kich hoat vneid roi lam tiep sao vay",
    "đã nhận tin nhắn kích hoạt vneid thì làm tiếp thế nào",
]


async def _operator(bot: Bot, world: World) -> PersonRow:
    async with bot.sessions() as session:
        person = await session.get(PersonRow, world.ids["operator"])
    assert person is not None
    return person


async def test_a_drop_on_the_evaluation_set_refuses_unless_a_reason_is_given(
    bot: Bot, world: World, tmp_path: Path
) -> None:
    cases = tmp_path / "eval.jsonl"
    lines = [{"id": str(n), "text": t, "intent": "vneid.activate"} for n, t in enumerate(CASES)]
    cases.write_text("".join(json.dumps(line) + "\n" for line in lines))
    person = await _operator(bot, world)
    overlay = Overlay().adding("dvc.login", WRONG)
    async with bot.sessions.begin() as session:
        refused = await publish(
            session, bot.live, person, bot.clock(), overlay,
            action="publish", reason="thử", changed=["dvc.login"], eval_set=cases,
        )  # fmt: skip
    assert refused.refused
    assert refused.gate.drops == ["in_scope_accuracy"]
    assert refused.gate.before == {"in_scope_accuracy": 1.0, "oos_rejection": 0.0}
    assert refused.gate.after is not None
    assert refused.gate.after["in_scope_accuracy"] == 0.0
    assert refused.gate.changed["in_scope_accuracy"] == [6, 0]  # six lost, none won
    async with bot.sessions.begin() as session:
        forced = await publish(
            session, bot.live, person, bot.clock(), overlay,
            action="publish", reason="thử", changed=["dvc.login"], eval_set=cases,
            forced="câu này thật ra hỏi về đăng nhập",
        )  # fmt: skip
    assert forced.version == 1
    await adopt(bot.live, forced)
    assert bot.live.matcher.match(CASE).intent == "dvc.login"
    async with bot.sessions() as session:
        [row] = (await session.execute(select(ContentVersionRow))).scalars().all()
    assert row.reason == "thử — câu này thật ra hỏi về đăng nhập"
    assert row.figures["forced"] == "câu này thật ra hỏi về đăng nhập"


async def test_without_an_evaluation_set_the_checks_alone_run(
    bot: Bot, world: World, tmp_path: Path
) -> None:
    person = await _operator(bot, world)
    async with bot.sessions.begin() as session:
        outcome = await publish(
            session, bot.live, person, bot.clock(), Overlay().adding("dvc.login", WRONG[:1]),
            action="publish", reason="thử", changed=["dvc.login"],
            eval_set=tmp_path / "missing.jsonl",
        )  # fmt: skip
    assert outcome.version == 1
    assert not outcome.gate.evaluated
    assert outcome.gate.as_json() == {"evaluated": False, "before": None, "after": None}


def test_a_drop_no_bigger_than_retraining_noise_is_not_refused() -> None:
    """Any new example retrains the matcher and moves a few unrelated close decisions both
    ways: a drop counts only when clearly more messages went wrong than right."""
    before = {"in_scope_accuracy": 0.9634, "oos_rejection": 0.9692}
    after = {"in_scope_accuracy": 0.957, "oos_rejection": 0.972}
    noise = Gate([], before, after, {"in_scope_accuracy": [14, 7], "oos_rejection": [0, 1]})
    assert noise.drops == []  # measured: two swimming questions added to a decoy
    harm = Gate([], before, after, {"in_scope_accuracy": [14, 4], "oos_rejection": [0, 1]})
    assert harm.drops == ["in_scope_accuracy"]
    assert harm.as_json()["changed"] == {"in_scope_accuracy": [14, 4], "oos_rejection": [0, 1]}
    assert not significant(4, 0)  # four of four is still chance at 5 %
    assert significant(5, 0)
    assert not significant(3, 3)
