"""An import publishes ONE version the bot answers with (SQLite and PostgreSQL), with the
changed intents as whole records, audited; a bad file publishes nothing; an export of the
result imports as "nothing changed" and exports to the same bytes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features.content_files.as_xlsx import write_xlsx
from bot.features.content_files.export import export_bytes
from bot.features.content_files.importing import plan_import, publish_plan
from bot.features.content_versions.publish import adopt
from bot.messages import ConversationKey, IncomingMessage
from bot.services import Bot
from content.published import Overlay
from storage.content_versions import ContentVersionRow
from storage.models import AuditRow, PersonRow
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config  # noqa: F401  (fixtures)

NEW_ANSWER = "Đây là câu trả lời mới, nhập từ tệp Excel: gọi 1900 0000 để được hướng dẫn."


async def _ask(bot: Bot, text: str) -> str:  # noqa: F811
    replies = await bot.handle(IncomingMessage(ConversationKey("console", "dan"), text=text))
    return "\n".join(reply.text for reply in replies)


async def _count(bot: Bot, model: type) -> int:  # noqa: F811
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_import_publishes_one_version_the_bot_answers_with(
    bot: Bot,  # noqa: F811
    engine: AsyncEngine,  # noqa: F811
    tmp_path: Path,
) -> None:
    live = bot.live
    content = live.content
    target = content.intents["dvc.login"]
    question = target.examples[0]
    assert NEW_ANSWER not in await _ask(bot, question)
    changed = target.model_copy(update={"answer": NEW_ANSWER})
    intents = [changed if i.id == target.id else i for i in content.intents.values()]

    broken = [i.model_copy(update={"follow_ups": ["khong.co"]}) for i in intents[:1]]
    bad = plan_import(write_xlsx(broken + intents[1:]), "hong.xlsx", content)
    assert not bad.ok
    assert await _count(bot, ContentVersionRow) == 0  # nothing half-done

    plan = plan_import(write_xlsx(intents), "sua.xlsx", content)
    assert (plan.added, plan.changed) == ([], ["dvc.login"])
    async with bot.sessions.begin() as session:
        person = PersonRow(handle="OPER01", role="operator", display_name="Quản trị")
        session.add(person)
        await session.flush()
        outcome = await publish_plan(
            session, live, person, bot.clock(), plan, Overlay(), eval_set=tmp_path / "no.jsonl"
        )
    assert outcome.version == 1
    await adopt(live, outcome)
    assert NEW_ANSWER in await _ask(bot, question)
    async with bot.sessions() as session:
        row = await session.get(ContentVersionRow, 1)
        assert row is not None
        assert row.action == "import"
        assert row.author == "OPER01"
        assert list(row.overlay["intents"]) == ["dvc.login"]
        assert row.overlay["intents"]["dvc.login"]["answer"] == NEW_ANSWER
        audit = (await session.execute(select(AuditRow.action))).scalars().all()
    assert "content_import" in audit
    assert outcome.overlay is not None
    assert "dvc.login" in outcome.overlay.intents  # what the data folder gets

    exported = export_bytes(live.content, "xlsx")
    again = plan_import(exported, "lai.xlsx", live.content)
    assert again.ok
    assert again.touched == []
    assert export_bytes(live.content, "xlsx") == exported
