"""Start-up warm-up: connections opened and the matcher's lazy parts built before the first
webhook, so a cold worker's first burst does not pay for them while platforms wait."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.matching import build_matcher
from bot.services import Bot
from bot.web.app import create_app
from content import load_content
from storage.db import create_engine, warm
from tests.web.conftest import serving


async def test_warm_opens_the_pools_connections(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    pooled = create_engine(url, pool_size=6)
    try:
        await warm(pooled, 4)
        if pooled.dialect.name == "sqlite":
            return  # one connection, opened on use: nothing to warm
        assert pooled.pool.checkedin() == 4  # type: ignore[attr-defined]
        await warm(pooled, 50)  # never beyond the pool's size
        assert pooled.pool.checkedin() == 6  # type: ignore[attr-defined]
    finally:
        await pooled.dispose()


def test_prepare_builds_every_intents_rescore_data_and_changes_no_decision() -> None:
    content = load_content()
    lazy, eager = build_matcher(content), build_matcher(content)
    eager.prepare()
    assert all(examples is not None for examples in eager._fuzzy_examples)
    assert any(examples is None for examples in lazy._fuzzy_examples)
    messages = [e for intent in content.intents.values() for e in intent.examples[:2]]
    messages += ["lam can cuoc o dau", "toi bi lua chuyen tien", "xin chao", "abc xyz"]
    for message in messages:
        assert lazy.match(message) == eager.match(message)


async def test_the_app_runs_its_start_up_before_taking_requests(bot: Bot) -> None:
    calls: list[str] = []

    async def on_startup() -> None:
        calls.append("warm")

    async with serving(create_app(bot, [], on_startup=on_startup)) as http:
        assert calls == ["warm"]
        assert (await http.get("/healthz")).status_code == 200
