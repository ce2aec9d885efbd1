"""A publication reaches every worker in its next round, without a restart, and `trolyso
match` (no database) sees it through the data folder. Two Bots with their own dialogue and
worker on one database (SQLite and PostgreSQL); rounds are ticked explicitly, no sleeping."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assistant import Assistant
from bot.dialogue import Dialogue
from bot.features.content_versions.publish import Outcome, adopt, publish
from bot.features.reports.chat import ChatReports
from bot.messages import ConversationKey, IncomingMessage
from bot.published import ContentFollower, LiveContent
from bot.services import Bot
from bot.support.common import SupportConfig, Toolkit
from bot.worker import Worker
from content import Content
from content.published import PUBLISHED_FILE, Overlay, read_published
from intents import Matcher
from intents.places import Places
from storage import session_factory
from storage.models import PersonRow
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import FakeClock

QUESTION = "đăng ký học bơi cho con ở đâu"
ROOT = Path(__file__).resolve().parents[2]


def _bot(
    engine: AsyncEngine,  # noqa: F811
    content: Content,
    matcher: Matcher,
    places: Places,
    data_dir: Path,
) -> Bot:
    kit = Toolkit(content.support, places, SupportConfig())
    dialogue = Dialogue(content, matcher)
    bot = Bot(Assistant(dialogue, kit, ChatReports(kit)), session_factory(engine), FakeClock())
    bot.live = LiveContent(
        content, dialogue, bot.sessions, data_dir=data_dir, cache_dir=data_dir / "cache"
    )
    return bot


async def _publish_example(bot: Bot, handle: str, tmp_path: Path) -> Outcome:
    """An operator publishes QUESTION as an example of oos.education, through `bot`."""
    async with bot.sessions.begin() as session:
        person = PersonRow(handle=handle, role="operator", display_name="Quản trị")
        session.add(person)
        await session.flush()
        return await publish(
            session,
            bot.live,
            person,
            bot.clock(),
            Overlay().adding("oos.education", [QUESTION]),
            action="publish",
            reason="thử",
            changed=["oos.education"],
            eval_set=tmp_path / "none.jsonl",
        )


async def _ask(bot: Bot, user: str) -> str:
    replies = await bot.handle(IncomingMessage(ConversationKey("console", user), text=QUESTION))
    return "\n".join(reply.text for reply in replies)


def _match(data_dir: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROLYSO_")}
    env["TROLYSO_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "match"],
        input=QUESTION + "\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


async def test_a_publication_reaches_the_other_worker_in_its_next_round(
    engine: AsyncEngine,  # noqa: F811
    content: Content,
    matcher: Matcher,
    places: Places,
    tmp_path: Path,
) -> None:
    one = _bot(engine, content, matcher, places, tmp_path / "one")
    other = _bot(engine, content, matcher, places, tmp_path / "other")
    answer = content.intents["oos.education"].answer.splitlines()[0]
    assert answer not in await _ask(other, "a")
    outcome = await _publish_example(one, "OPER01", tmp_path)
    await adopt(one.live, outcome)
    assert answer in await _ask(one, "b")
    assert answer not in await _ask(other, "c")  # not yet: its round has not come

    counts = await Worker(other).tick()
    assert counts["content"] == 1
    assert other.live.version == outcome.version
    assert answer in await _ask(other, "d")
    assert (await Worker(other).tick())["content"] == 0  # one query, nothing rebuilt

    published = read_published(tmp_path / "other")
    assert published is not None
    assert published.version == outcome.version
    assert published.examples == {"oos.education": (QUESTION,)}
    assert _match(tmp_path / "other")["intent"] == "oos.education"
    (tmp_path / "other" / PUBLISHED_FILE).unlink()
    assert _match(tmp_path / "other")["action"] == "fallback"  # the shipped baseline


async def test_a_process_without_a_worker_follows_publications(
    engine: AsyncEngine,  # noqa: F811
    content: Content,
    matcher: Matcher,
    places: Places,
    tmp_path: Path,
) -> None:
    """`serve --no-worker` still answers citizens: its follower takes the version up."""
    one = _bot(engine, content, matcher, places, tmp_path / "one")
    web = _bot(engine, content, matcher, places, tmp_path / "web")
    follower = ContentFollower(web.live, every=0.01)
    follower.start()
    try:
        outcome = await _publish_example(one, "OPER02", tmp_path)
        for _ in range(500):  # the follower's rounds, 10 ms apart (at most 5 s)
            if web.live.version == outcome.version:
                break
            await asyncio.sleep(0.01)
        assert web.live.version == outcome.version
    finally:
        await follower.stop()
    answer = content.intents["oos.education"].answer.splitlines()[0]
    assert answer in await _ask(web, "e")
