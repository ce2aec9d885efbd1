"""The first event times a report reads are kept on the request as the bot records events."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features.reports.build import build_report
from bot.services import Bot
from storage import session_factory
from storage.models import HelpRequestRow, RequestEventRow
from storage.report_queries import ReportFilter
from storage.support import HelpRequestRepository
from tests.storage.report_oracle import old_build_report
from tests.support.conftest import START, FakeClock, claim_payload, texts
from tests.support.test_sessions import ask_for_help, make_team


async def test_a_released_and_reclaimed_session_keeps_its_first_times(
    people, bot: Bot, engine: AsyncEngine, clock: FakeClock
) -> None:
    _, lan, minh = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen)
    created = clock.now
    clock.advance(minutes=4)
    await lan.send_payload(claim_payload(await lan.inbox()))
    claimed = clock.now
    await minh.inbox()
    clock.advance(minutes=1)
    assert "Đã trả" in texts(await lan.say("/tra"))
    clock.advance(minutes=3)
    assert "đã nhận yêu cầu" in texts(await minh.send_payload(claim_payload(await minh.inbox())))
    clock.advance(minutes=20)
    assert "Kết quả" in texts(await minh.say("/ketthuc"))
    ended = clock.now

    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        kinds = [
            e.kind
            for e in (await session.execute(select(RequestEventRow).order_by(RequestEventRow.id)))
            .scalars()
            .all()
        ]
    assert kinds.count("claimed") == 2
    assert (request.first_created_at, request.first_claimed_at, request.first_ended_at) == (
        created,
        claimed,
        ended,
    )

    day = (START + timedelta(hours=7)).date()
    async with session_factory(engine)() as session:
        report = await build_report(session, ReportFilter(day, day), now=clock.now)
    async with session_factory(engine)() as session:
        oracle = await old_build_report(session, ReportFilter(day, day))
    assert replace(report, generated_at=oracle.generated_at) == oracle
    assert (report.wait.median_minutes, report.handling.median_minutes) == (4.0, 24.0)
    # Lan claimed and released, Minh claimed and closed: one session taken each.
    assert sorted((v.sessions_claimed, v.sessions_closed) for v in report.volunteers) == [
        (1, 0),
        (1, 1),
    ]


async def test_a_loaded_request_sees_the_earliest_time_whatever_the_order(
    engine: AsyncEngine,
) -> None:
    async with session_factory(engine).begin() as session:
        requests = HelpRequestRepository(session)
        request = await requests.add(
            HelpRequestRow(
                ref="HT0001",
                citizen_channel="zalo",
                pseudonym="Người dân",
                topic="vneid",
                commune_code="00004",
                province_code="01",
                created_at=START,
                last_activity_at=START,
            )
        )
        await requests.event(request, "claimed", START + timedelta(minutes=9))
        assert request.first_claimed_at == START + timedelta(minutes=9)  # no refresh needed
        await requests.event(request, "claimed", START + timedelta(minutes=5))  # an earlier one
        await requests.event(request, "claimed", START + timedelta(minutes=7))
        await requests.event(request, "idle_closed", START + timedelta(minutes=30))
        await requests.event(request, "ended", START + timedelta(minutes=20))
        await requests.event(request, "released", START + timedelta(minutes=1))  # not kept
        assert request.first_created_at is None  # no created event: no wait for this one
        assert request.first_claimed_at == START + timedelta(minutes=5)
        assert request.first_ended_at == START + timedelta(minutes=20)
        request.status = "closed"  # a later flush of the request leaves the copies alone
    async with session_factory(engine)() as session:
        stored = (await session.execute(select(HelpRequestRow))).scalar_one()
    assert (stored.status, stored.first_claimed_at, stored.first_ended_at) == (
        "closed",
        START + timedelta(minutes=5),
        START + timedelta(minutes=20),
    )
