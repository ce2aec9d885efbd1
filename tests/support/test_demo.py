"""`trolyso demo`: a fresh database gets a month of marked demo data the live bot can use."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.demo import (
    DEMO_MARK,
    VIETNAM,
    DemoError,
    database_is_empty,
    render_summary,
    seed_demo,
)
from bot.features.reports.build import build_report
from bot.services import Bot
from intents.places import Places
from storage import session_factory
from storage.models import (
    AuditRow,
    FieldLogRow,
    HelpRequestRow,
    IdentityRow,
    OutboxRow,
    PersonRow,
    RelayMessageRow,
    RequestEventRow,
    TeamRow,
    TimerRow,
    VolunteerCommuneRow,
    VolunteerRow,
)
from storage.people import PeopleRepository
from storage.report_queries import ReportFilter
from storage.vocabulary import EVENT_KINDS, OUTCOMES, SERVICES, TOPICS
from tests.support.conftest import START, FakeClock, texts

TODAY = START.astimezone(VIETNAM).date()  # 2026-11-23, the fake clock's local day
IA_GRAI = "23764"


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _local_day(at: datetime) -> date:
    return at.astimezone(VIETNAM).date()


@pytest.fixture
async def seeded(engine: AsyncEngine, places: Places) -> AsyncIterator[AsyncSession]:
    """A fresh database with the demo committed, and a session to read it."""
    async with session_factory(engine)() as session:
        await seed_demo(session, places, today=TODAY)
        await session.commit()
        yield session


async def test_a_fresh_database_gets_the_whole_demo(engine: AsyncEngine, places: Places):
    async with session_factory(engine)() as session:
        assert await database_is_empty(session)
        summary = await seed_demo(session, places, today=TODAY)
        await session.commit()
        assert not await database_is_empty(session)

        assert summary.province == "Gia Lai"
        assert len(summary.communes) == 3
        assert "Xã Ia Grai, Gia Lai" in summary.communes
        assert (summary.requests, summary.field_logs) == (120, 25)
        assert (summary.open_requests, summary.active_requests) == (3, 2)
        assert (summary.first_day, summary.last_day) == (TODAY - timedelta(days=29), TODAY)

        teams = list((await session.execute(select(TeamRow).order_by(TeamRow.id))).scalars())
        assert teams[0].commune_code == IA_GRAI
        assert all(t.name.startswith("Tổ công nghệ số cộng đồng ") for t in teams)
        assert all(t.name.endswith(DEMO_MARK) for t in teams)
        assert {t.province_code for t in teams} == {"52"}

        roles = Counter((await session.execute(select(PersonRow.role))).scalars())
        assert roles == {"operator": 1, "leader": 3, "volunteer": 10, "citizen": 41}
        staff = await session.execute(select(PersonRow).where(PersonRow.role != "citizen"))
        for person in staff.scalars():
            assert person.display_name is not None
            assert person.display_name.endswith(" " + DEMO_MARK)
            if person.role in ("leader", "volunteer"):
                assert person.team_id is not None
                profile = await session.get(VolunteerRow, person.id)
                assert profile is not None
                assert profile.max_sessions == 2
                assert set(profile.skills) <= set(TOPICS) - {"other"}
        handles = list((await session.execute(select(PersonRow.handle))).scalars())
        assert len(set(handles)) == len(handles) == 55
        on_duty = await _count(session, VolunteerRow, VolunteerRow.on_duty.is_(True))
        assert 0 < on_duty < 13
        # Every demo person can be found again by their console id.
        identities = list((await session.execute(select(IdentityRow))).scalars())
        assert len(identities) == 55
        assert all(
            i.channel == "console" and i.external_id.startswith("demo-") for i in identities
        )

        requests = list((await session.execute(select(HelpRequestRow))).scalars())
        assert len(requests) == 120
        assert all(r.is_demo for r in requests)
        assert len({r.ref for r in requests}) == 120
        statuses = Counter(r.status for r in requests)
        assert statuses["open"] == 3
        assert statuses["active"] == 2
        assert statuses["closed"] > 90
        assert statuses["cancelled"] > 0
        assert statuses["unclaimed"] > 0
        topics = Counter(r.topic for r in requests)
        assert topics.most_common(2)[0][0] in ("vneid", "public_services")
        assert {t for t, _ in topics.most_common(2)} == {"vneid", "public_services"}
        for request in requests:
            assert TODAY - timedelta(days=29) <= _local_day(request.created_at) <= TODAY
            assert request.created_at <= START
            assert request.pseudonym
            if request.phone is not None:
                assert request.phone.startswith("0900000")
                assert len(request.phone) == 10
                assert request.phone.isdigit()
        assert 0 < sum(r.phone is not None for r in requests) < 40
        closed = [r for r in requests if r.status == "closed"]
        assert all(r.outcome in OUTCOMES and r.services for r in closed)
        assert all(set(r.services) <= set(SERVICES) for r in closed)
        rated = [r.rating for r in closed if r.rating is not None]
        assert 0.5 < len(rated) / len(closed) < 0.9
        assert sum(rated) / len(rated) >= 4.0
        assert all(r.rating is None for r in requests if r.status != "closed")

        messages = await _count(session, RelayMessageRow)
        assert 0 < messages < 60
        logs = list((await session.execute(select(FieldLogRow))).scalars())
        assert len(logs) == 25
        for log in logs:
            assert log.source == "demo"
            assert 3 <= log.citizens_helped <= 40
            assert log.duration_minutes is not None
            assert 60 <= log.duration_minutes <= 240
            assert log.volunteer_name is not None
            assert log.volunteer_name.endswith(DEMO_MARK)
            assert log.services
            assert set(log.services) <= set(SERVICES)
            assert TODAY - timedelta(days=29) <= log.day < TODAY

        audit = list((await session.execute(select(AuditRow))).scalars())
        assert len(audit) == 14  # the operator, 3 leaders, 10 volunteers
        assert all(a.action == "role_change" and a.detail["by"] == "demo" for a in audit)
        # Nothing waits to be sent or to fire: starting the bot on the demo stays quiet.
        assert await _count(session, TimerRow) == 0
        assert await _count(session, OutboxRow) == 0


async def test_events_are_in_order_and_claims_stay_in_the_commune(seeded: AsyncSession):
    session = seeded
    communes: dict[int, set[str]] = {}
    for person_id, code in await session.execute(
        select(VolunteerCommuneRow.person_id, VolunteerCommuneRow.commune_code)
    ):
        communes.setdefault(person_id, set()).add(code)
    events: dict[int, list[RequestEventRow]] = {}
    for event in (
        await session.execute(select(RequestEventRow).order_by(RequestEventRow.id))
    ).scalars():
        events.setdefault(event.request_id, []).append(event)
    relayed: dict[int, list[RelayMessageRow]] = {}
    for message in (await session.execute(select(RelayMessageRow))).scalars():
        relayed.setdefault(message.request_id, []).append(message)

    requests = (await session.execute(select(HelpRequestRow))).scalars()
    for request in requests:
        history = events[request.id]
        kinds = [e.kind for e in history]
        assert set(kinds) <= set(EVENT_KINDS)
        assert kinds[:2] == ["created", "notified"], kinds
        assert history[0].at == request.created_at
        assert history[0].actor_id == request.citizen_id
        times = [e.at for e in history]
        assert times == sorted(times), kinds
        assert times[-1] <= START
        claims = [e for e in history if e.kind == "claimed"]
        for claim in claims:
            assert claim.actor_id is not None
            assert request.commune_code in communes[claim.actor_id]
        if request.status in ("active", "closed"):
            assert claims
            assert claims[-1].actor_id == request.volunteer_id
            assert request.volunteer_id is not None
            assert request.commune_code in communes[request.volunteer_id]
            assert request.volunteer_external_id is not None
            assert request.volunteer_external_id.startswith("demo-")
            wait = claims[0].at - request.created_at
            assert timedelta(minutes=2) <= wait <= timedelta(minutes=40)
        else:
            assert not claims
            assert request.volunteer_id is None
        if request.status == "closed":
            end = next(e for e in history if e.kind in ("ended", "idle_closed"))
            handling = end.at - claims[-1].at
            assert timedelta(minutes=10) <= handling <= timedelta(minutes=60)
            assert "outcome" in kinds
            assert kinds.index("outcome") > kinds.index(end.kind)
            assert ("rated" in kinds) == (request.rating is not None)
            assert request.last_activity_at == end.at
        if request.status == "cancelled":
            assert kinds[-1] == "cancelled"
        if request.status == "unclaimed":
            assert kinds[-2:] == ["escalated", "unclaimed"]
        for message in relayed.get(request.id, []):
            assert message.sender in ("citizen", "volunteer")
            assert claims[0].at < message.at <= request.last_activity_at
            assert not any(ch.isdigit() for ch in message.text)  # no personal data


async def test_demo_people_are_played_from_the_console(seeded: AsyncSession, places: Places):
    session = seeded
    repo = PeopleRepository(session)
    lan = await repo.identity("console", "demo-lan")
    assert lan is not None
    person = await repo.get(lan.person_id)
    assert person is not None
    assert (person.role, person.display_name) == ("volunteer", "Lan [DEMO]")
    assert await repo.communes(person.id) == [IA_GRAI]
    leader = await repo.identity("console", "demo-totruong-iagrai")
    assert leader is not None
    leaders = await repo.leaders_of(person.team_id)
    assert [p.id for p in leaders] == [leader.person_id]
    operator = await repo.identity("console", "demo-quantri")
    assert operator is not None
    assert [p.id for p in await repo.operators()] == [operator.person_id]
    citizen = await repo.identity("console", "demo-nguoidan")
    assert citizen is not None
    assert (
        await _count(session, HelpRequestRow, HelpRequestRow.citizen_id == citizen.person_id) == 0
    )


def _fingerprint_request(
    request: HelpRequestRow, events: list[RequestEventRow], who: dict[int, str]
) -> tuple[Any, ...]:
    return (
        request.status,
        request.topic,
        request.mode,
        request.commune_code,
        request.pseudonym,
        request.phone,
        request.description,
        request.created_at,
        request.outcome,
        tuple(request.services),
        request.rating,
        request.rating_comment,
        request.citizen_external_id,
        who.get(request.volunteer_id or 0),
        tuple(
            (e.kind, e.at, who.get(e.actor_id or 0), tuple(sorted(e.detail.items())))
            for e in events
        ),
    )


async def _seed_and_describe(session: AsyncSession, places: Places, seed: int) -> list[Any]:
    """Everything the seed decides (handles and reference codes are random on purpose)."""
    await seed_demo(session, places, today=TODAY, seed=seed)
    who = {
        i.person_id: i.external_id for i in (await session.execute(select(IdentityRow))).scalars()
    }
    events: dict[int, list[RequestEventRow]] = {}
    for event in (
        await session.execute(select(RequestEventRow).order_by(RequestEventRow.id))
    ).scalars():
        events.setdefault(event.request_id, []).append(event)
    requests = (
        await session.execute(select(HelpRequestRow).order_by(HelpRequestRow.id))
    ).scalars()
    described: list[Any] = [_fingerprint_request(r, events[r.id], who) for r in requests]
    logs = (await session.execute(select(FieldLogRow).order_by(FieldLogRow.id))).scalars()
    described += [
        (f.day, f.commune_code, f.volunteer_name, f.place, tuple(f.services), f.citizens_helped)
        for f in logs
    ]
    await session.rollback()
    return described


async def test_the_same_seed_gives_the_same_demo(engine: AsyncEngine, places: Places):
    async with session_factory(engine)() as session:
        first = await _seed_and_describe(session, places, seed=7)
        assert await database_is_empty(session)  # rolled back: nothing was committed
        again = await _seed_and_describe(session, places, seed=7)
        other = await _seed_and_describe(session, places, seed=8)
    assert first == again
    assert first != other


async def test_a_deployment_without_gia_lai_gets_a_clear_refusal(engine: AsyncEngine):
    hanoi = Places.load(provinces=("Hà Nội",))
    async with session_factory(engine)() as session:
        with pytest.raises(DemoError, match="Gia Lai"):
            await seed_demo(session, hanoi, today=TODAY)
        assert await database_is_empty(session)


async def test_the_report_shows_the_demo_month(seeded: AsyncSession):
    report = await build_report(
        seeded,
        ReportFilter(start=TODAY - timedelta(days=29), end=TODAY, province_code="52"),
        now=START,
    )
    assert (report.requests_total, report.demo_requests) == (120, 120)
    assert (report.field_logs_total, report.demo_field_logs) == (25, 25)
    assert report.wait.count > 90
    assert report.handling.count > 90
    assert report.wait.median_minutes is not None
    assert 2 <= report.wait.median_minutes <= 40
    assert report.ratings.mean is not None
    assert report.ratings.mean >= 4
    assert len(report.volunteers) == 13  # every leader and volunteer did something


async def test_the_demo_volunteer_sees_the_queue_and_claims(
    engine: AsyncEngine, places: Places, bot: Bot, people, clock: FakeClock
):
    async with session_factory(engine)() as session:
        summary = await seed_demo(session, places, today=TODAY, now=clock.now)
        await session.commit()
        waiting = list(
            (
                await session.execute(
                    select(HelpRequestRow.ref).where(
                        HelpRequestRow.status == "open", HelpRequestRow.commune_code == IA_GRAI
                    )
                )
            ).scalars()
        )
    assert len(waiting) == 2
    assert await bot.run_due_timers() == 0  # starting on the demo does not spam anyone

    lan = people("demo-lan")
    queue = await lan.say("/hangdoi")
    assert "Có 2 yêu cầu đang chờ" in texts(queue)
    for ref in waiting:
        assert f"{ref[:2]}-{ref[2:]}" in texts(queue)
    assert [b.title for b in lan.shown] == ["🙋 Tôi nhận giúp"] * 2
    assert "đã nhận yêu cầu" in texts(await lan.press("Tôi nhận giúp"))
    async with session_factory(engine)() as session:
        taken = (
            await session.execute(select(HelpRequestRow).where(HelpRequestRow.ref == waiting[0]))
        ).scalar_one()
        lan_id = await PeopleRepository(session).identity("console", "demo-lan")
        assert lan_id is not None
        assert (taken.status, taken.volunteer_id) == ("active", lan_id.person_id)
    # The demo citizen of that request is told on the console, like anybody else.
    assert taken.citizen_external_id is not None
    told = await people(taken.citizen_external_id).inbox()
    assert "Lan [DEMO] đã nhận yêu cầu" in texts(told)

    # What the summary tells a newcomer to try works: duty on, a new request reaches Lan.
    assert "Hiện có 1 yêu cầu đang chờ" in texts(await lan.say("/truc bat"))
    citizen = people("demo-nguoidan")
    assert "việc gì" in texts(await citizen.say("toi can nguoi giup"))
    await citizen.press("VNeID")
    assert "Ia Grai" in texts(await citizen.say("xã Ia Grai, Gia Lai"))
    await citizen.press("Ia Grai")
    await citizen.say("khong dang nhap duoc vneid")
    await citizen.press("Nhắn tin")
    opened = texts(await citizen.press("Không đồng ý"))
    ref = opened.split("Mã yêu cầu: ")[1].split(".")[0]
    assert ref in texts(await lan.inbox())
    printed = render_summary(summary)
    assert "trolyso chat --as demo-lan" in printed
    assert "trolyso chat --as demo-nguoidan" in printed
    assert "/truc bat" in printed
    assert "/hangdoi" in printed
    assert (
        f"trolyso report --from {TODAY - timedelta(days=29)} --to {TODAY} "
        "--province 'Gia Lai' --format table"
    ) in printed
    for login in summary.people:
        assert login.console_name in printed


def test_the_summary_lists_who_to_play():
    from bot.demo import DemoLogin, DemoSummary

    summary = DemoSummary(
        province="Gia Lai",
        communes=("Xã Ia Grai, Gia Lai",),
        people=(DemoLogin("demo-lan", "volunteer", "Tình nguyện viên Xã Ia Grai"),),
        requests=120,
        field_logs=25,
        open_requests=3,
        active_requests=2,
        first_day=date(2026, 10, 25),
        last_day=date(2026, 11, 23),
    )
    printed = render_summary(summary)
    assert "120 yêu cầu hỗ trợ từ 25/10/2026 đến 23/11/2026" in printed
    assert "3 đang chờ nhận, 2 đang hỗ trợ" in printed
    assert "demo-lan  Tình nguyện viên  Tình nguyện viên Xã Ia Grai" in printed
