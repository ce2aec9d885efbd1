"""The bad-input corpus: every kind of malformed or hostile input the bot has met or could meet.

Three webhooks (through the real ASGI application, on SQLite and PostgreSQL), the field-log
import command and the chat commands; the cases are listed in cases_webhooks.py and
cases_local.py. Each gets its expected status or message, never a 500 or a traceback, and
leaves the database consistent: a refused request stores nothing, no reply is ever queued for
a chat id that cannot be sent to, what was stored before is still there, and the channel still
answers a good message afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from bot.services import Bot
from bot.settings import Settings
from storage import create_engine, session_factory
from storage.models import Base, FieldLogRow, HelpRequestRow, InboundEventRow, OutboxRow
from tests.faults.cases_local import CHAT, IMPORTS, table
from tests.faults.cases_webhooks import TELEGRAM, ZALO, ZALOBOT
from tests.faults.corpus import Answer, Case, Exit, Http, ImportFile, Post, Say, valid_event
from tests.faults.webhooks import CHAT_IDS, open_webhook
from tests.support.conftest import Person, claim_payload, texts
from tests.support.test_sessions import ask_for_help, make_team

STORED_BEFORE = "11/10/2025,xa ia grai gia lai,vneid_activation,3"  # imported before each case
CASES = [*TELEGRAM, *ZALOBOT, *ZALO, *IMPORTS, *CHAT]


def test_the_corpus_is_wide_and_every_id_is_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 60
    assert {case.target for case in CASES} == {"telegram", "zalobot", "zalo", "cli", "chat"}
    # A chat case checks what the answer says, never only that there is one.
    assert [c.id for c in CASES if isinstance(c.expected, Answer) and not c.expected.words] == []


def _of(target: str, *more: str) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in CASES if c.target in (target, *more)]


# --- Database snapshots ----------------------------------------------------------------------


async def counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows per table."""
    async with session_factory(engine)() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    failures = [
        f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR
    ]
    assert failures == []


# --- Webhooks --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _of("telegram", "zalobot", "zalo"))
async def test_a_webhook_answers_bad_input_and_stays_consistent(
    case: Case, bot: Bot, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    post, expected = case.input, case.expected
    assert isinstance(post, Post)
    assert isinstance(expected, Http)
    caplog.set_level(logging.WARNING)
    async with open_webhook(case.target, bot) as hook:
        before = await counts(engine)
        response = await hook.post(
            post.body, authentic=post.authentic, content_type=post.content_type
        )
        assert response.status_code == expected.status, response.text
        sends = hook.attempts()
        if post.twice:
            again = await hook.post(post.body, content_type=post.content_type)
            assert again.status_code == expected.status
            assert hook.attempts() == sends  # answered once
        after = await counts(engine)
        if expected.status != 200:
            assert after == before  # nothing stored, nothing changed
        else:
            assert after["inbound_events"] == before["inbound_events"] + 1
        if expected.answered is True:
            assert hook.sent_to(), "the citizen got no answer"
        elif expected.answered is False:
            assert hook.attempts() == 0
        # Every delivery stored was settled; every reply queued can be delivered.
        async with session_factory(engine)() as session:
            open_events = await session.scalar(
                select(func.count()).where(InboundEventRow.handled_at.is_(None))
            )
            recipients = list(await session.scalars(select(OutboxRow.external_id)))
        assert open_events == 0
        pattern = CHAT_IDS[case.target]
        assert all(pattern.fullmatch(chat) for chat in recipients), recipients
        assert all(pattern.fullmatch(chat) for chat in hook.sent_to())
        assert hook.attempts() <= 3  # no send loop
        # The channel still answers a good message from someone else.
        other = {"telegram": "5550099", "zalobot": "fresh0chat0id", "zalo": "1234567890123"}
        response = await hook.post(valid_event(case.target, other[case.target]))
        assert response.status_code == 200
        assert other[case.target] in hook.sent_to()
    no_errors_logged(caplog)


# --- Imports ---------------------------------------------------------------------------------


def _stored_field_logs() -> int:
    async def count() -> int:
        engine = create_engine(Settings().resolved_database_url())
        try:
            async with session_factory(engine)() as session:
                return int(await session.scalar(select(func.count(FieldLogRow.id))) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(count())


@pytest.mark.parametrize("case", _of("cli"))
def test_a_field_log_import_refuses_bad_files_precisely(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    file, expected = case.input, case.expected
    assert isinstance(file, ImportFile)
    assert isinstance(expected, Exit)
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    earlier = tmp_path / "truoc.csv"
    earlier.write_bytes(table(STORED_BEFORE))
    assert main(["fieldlog", "import", str(earlier)]) == 0
    assert _stored_field_logs() == 1
    capsys.readouterr()
    path = tmp_path / file.name
    path.write_bytes(file.data)
    code = main(["fieldlog", "import", str(path)])
    out, err = capsys.readouterr()
    report = out + err
    assert code == expected.code, report
    for word in expected.words:
        assert word in report
    assert "Traceback" not in report
    assert _stored_field_logs() == 1 + expected.imported  # nothing lost, nothing partial
    no_errors_logged(caplog)


# --- Chat commands ---------------------------------------------------------------------------

# Tables a refused command may touch: the conversation, the audit log, guess counters.
# question_log and missed_questions: junk that reaches the FAQ gets the fallback, which the
# console counts and keeps (masked) for the missed-questions page.
BOOKKEEPING = {
    "conversations",
    "audit_log",
    "attempts",
    "processed_updates",
    "question_log",
    "missed_questions",
}


async def _closed_request(
    people: Callable[[str], Person], volunteer: Person
) -> tuple[Person, str]:
    """A citizen whose request a volunteer ended: the citizen may rate it now."""
    citizen = people("rater")
    ref = await ask_for_help(citizen)
    await volunteer.send_payload(claim_payload(await volunteer.inbox()))
    await volunteer.say("/ketthuc")
    await volunteer.press("Đã giải quyết")
    await volunteer.press("Kích hoạt tài khoản VNeID")
    await volunteer.press("Xong")
    assert "chấm điểm" in texts(await citizen.inbox())
    return citizen, ref


async def _at_the_count_step(volunteer: Person) -> None:
    """A volunteer logging field work, asked how many citizens were helped."""
    await volunteer.say("/ghinhan")
    await volunteer.say("12/10")
    await volunteer.say("Nha van hoa thon 3")
    await volunteer.press("Kích hoạt tài khoản VNeID")
    assert "bao nhiêu người dân" in texts(await volunteer.press("Xong"))


@pytest.mark.parametrize("case", _of("chat"))
async def test_a_chat_command_with_bad_arguments_gets_a_polite_answer(
    case: Case,
    people: Callable[[str], Person],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    said, expected = case.input, case.expected
    assert isinstance(said, Say)
    assert isinstance(expected, Answer)
    caplog.set_level(logging.WARNING)
    ref = ""
    if said.who == "citizen":
        person = people("citizen")
        await person.say("xin chao")
    else:
        leader, volunteer, _ = await make_team(people)
        person = leader if said.who == "leader" else volunteer
        if said.who == "rater":
            person, ref = await _closed_request(people, volunteer)
        if said.who == "counting":
            await _at_the_count_step(volunteer)
    before = await counts(engine)
    if said.payload is not None:
        replies = await person.send_payload(said.payload.format(ref=ref))
    else:
        assert said.text is not None
        replies = await person.say(said.text)
    answer = texts(replies)
    assert answer.strip()
    assert len(answer) < 2000  # never the bad input echoed whole
    for word in expected.words:
        assert word in answer
    after = await counts(engine)
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= BOOKKEEPING, changed
    if ref:  # the rating was refused: the request is still unrated
        async with session_factory(engine)() as session:
            request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert request.status == "closed"
        assert request.rating is None
    no_errors_logged(caplog)
