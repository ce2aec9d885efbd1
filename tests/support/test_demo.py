"""`trolyso demo`: a month of marked demo data, played through the bot itself.

The month is played once per module (tests/support/demo_month.py); tests that change it work
on a copy. Besides the figures, the tests check that each row is the product's doing: the
events a real session writes, the timers that closed sessions, the notifications that carried
each relayed message, and no demo module building those rows itself.
"""

from __future__ import annotations

import ast
import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo import (
    DEMO_MARK,
    VIETNAM,
    DemoError,
    DemoLogin,
    DemoSummary,
    database_is_empty,
    render_summary,
    seed_demo,
)
from bot.demo.cast import TEAMS
from bot.demo.script import plan_requests
from bot.demo.stage import DemoDrift, Stage
from bot.features.reports.build import build_report
from bot.messages import ConversationKey
from bot.support.common import SupportConfig
from content import Content
from intents import Matcher
from intents.places import Places
from storage import create_engine, session_factory
from storage.migrate import upgrade
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
from storage.report_queries import ReportFilter
from storage.vocabulary import EVENT_KINDS, OUTCOMES, SERVICES, TOPICS
from tests.storage.conftest import _reset_postgres, postgres_url
from tests.support.conftest import FakeClock, Person, texts
from tests.support.demo_month import START, TODAY, Played, describe, make_bot, play, play_on

IA_GRAI = "23764"
DEMO_PACKAGE = Path(__file__).resolve().parents[2] / "bot" / "demo"


@pytest.fixture(scope="module")
def month(tmp_path_factory, content: Content, matcher: Matcher, places: Places) -> Played:
    return play(tmp_path_factory.mktemp("demo") / "demo.db", content, matcher, places)


@pytest.fixture
async def db(month: Played) -> AsyncIterator[AsyncSession]:
    """A session on the played month (read it only: the file is shared by the module)."""
    engine = create_engine(f"sqlite+aiosqlite:///{month.path}")
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _all(session: AsyncSession, model: Any, *order: Any) -> list[Any]:
    return list((await session.execute(select(model).order_by(*order))).scalars())


def _local_day(at: datetime) -> date:
    return at.astimezone(VIETNAM).date()


async def test_the_month_has_the_documented_figures(month: Played, db: AsyncSession):
    summary = month.summary
    assert summary.province == "Gia Lai"
    assert "Xã Ia Grai, Gia Lai" in summary.communes
    assert (summary.requests, summary.field_logs) == (120, 25)
    assert (summary.open_requests, summary.active_requests) == (3, 2)
    assert (summary.first_day, summary.last_day) == (TODAY - timedelta(days=29), TODAY)

    teams = await _all(db, TeamRow, TeamRow.id)
    assert teams[0].commune_code == IA_GRAI
    assert all(t.name.startswith("Tổ công nghệ số cộng đồng ") for t in teams)
    assert all(t.name.endswith(DEMO_MARK) for t in teams)
    # 41 citizens who asked for help, 300 who only opted in to news (bot/demo/news.py)
    roles = Counter((await db.execute(select(PersonRow.role))).scalars())
    assert roles == {
        "operator": 1,
        "leader": 3,
        "volunteer": 10,
        "citizen": 41 + 300,
    }  # + subscribers
    for person in await _all(db, PersonRow, PersonRow.id):
        if person.role != "citizen":
            assert person.display_name is not None
            assert person.display_name.endswith(" " + DEMO_MARK)
        if person.role in ("leader", "volunteer"):
            profile = await db.get(VolunteerRow, person.id)
            assert profile is not None
            assert profile.max_sessions == 2
            assert set(profile.skills) <= set(TOPICS) - {"other"}
    identities = await _all(db, IdentityRow, IdentityRow.id)
    assert len(identities) == 55 + 300
    assert all(i.external_id.startswith("demo-") for i in identities)
    # The people to play are on the console; subscribers on the platforms they opted in on.
    played = [i for i in identities if not i.external_id.startswith("demo-tin-")]
    assert len(played) == 55
    assert all(i.channel == "console" for i in played)

    requests = await _all(db, HelpRequestRow, HelpRequestRow.id)
    assert len(requests) == 120
    assert all(r.is_demo for r in requests)
    statuses = Counter(r.status for r in requests)
    assert (statuses["open"], statuses["active"]) == (3, 2)
    assert statuses["closed"] > 90
    assert statuses["cancelled"] > 0
    assert statuses["unclaimed"] > 0
    topics = Counter(r.topic for r in requests)
    assert {t for t, _ in topics.most_common(2)} == {"vneid", "public_services"}
    first = TODAY - timedelta(days=29)
    for request in requests:
        assert first <= _local_day(request.created_at) <= TODAY
        assert request.created_at <= START
        assert request.pseudonym
        if request.phone is not None:
            assert request.phone.startswith("0900000")
            assert len(request.phone) == 10
    assert 0 < sum(r.phone is not None for r in requests) < 40
    closed = [r for r in requests if r.status == "closed"]
    assert all(r.outcome in OUTCOMES and r.services for r in closed)
    assert all(set(r.services) <= set(SERVICES) for r in closed)
    rated = [r.rating for r in closed if r.rating is not None]
    assert 0.5 < len(rated) / len(closed) < 0.9
    assert sum(rated) / len(rated) >= 4.0
    assert all(r.rating is None for r in requests if r.status != "closed")
    assert 0 < sum(r.rating_comment is not None for r in closed) < len(rated)

    assert 20 < await _count(db, RelayMessageRow) < 250
    logs = await _all(db, FieldLogRow, FieldLogRow.id)
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
        assert first <= log.day < TODAY

    # The set-up's role changes, and nothing refused or rejected during the month.
    audit = await _all(db, AuditRow, AuditRow.id)
    assert len(audit) == 14
    assert all(a.action == "role_change" and a.detail["by"] == "demo" for a in audit)
    # Nothing waits to be sent or to fire: starting the bot on the demo stays quiet.
    assert await _count(db, TimerRow, TimerRow.done_at.is_(None)) == 0
    assert await _count(db, OutboxRow, OutboxRow.status == "pending") == 0


async def _history(db: AsyncSession) -> dict[int, list[RequestEventRow]]:
    events: dict[int, list[RequestEventRow]] = {}
    for event in await _all(db, RequestEventRow, RequestEventRow.id):
        events.setdefault(event.request_id, []).append(event)
    return events


async def test_events_are_in_order_and_claims_stay_in_the_commune(db: AsyncSession):
    communes: dict[int, set[str]] = {}
    for person_id, code in await db.execute(
        select(VolunteerCommuneRow.person_id, VolunteerCommuneRow.commune_code)
    ):
        communes.setdefault(person_id, set()).add(code)
    events = await _history(db)
    for request in await _all(db, HelpRequestRow, HelpRequestRow.id):
        history = events[request.id]
        kinds = [e.kind for e in history]
        assert set(kinds) <= set(EVENT_KINDS)
        assert kinds[:2] == ["created", "notified"], kinds
        assert (history[0].at, history[0].actor_id) == (request.created_at, request.citizen_id)
        times = [e.at for e in history]
        assert times == sorted(times), kinds
        assert times[-1] <= START
        claims = [e for e in history if e.kind == "claimed"]
        for claim in claims:
            assert request.commune_code in communes[claim.actor_id or 0]
        if request.status in ("active", "closed"):
            assert claims[-1].actor_id == request.volunteer_id
            assert request.volunteer_external_id is not None
            assert request.volunteer_external_id.startswith("demo-")
            assert timedelta(minutes=2) <= claims[0].at - request.created_at <= timedelta(hours=1)
        else:
            assert not claims
            assert request.volunteer_id is None
        if request.status == "closed":
            end = next(e for e in history if e.kind in ("ended", "idle_closed"))
            assert timedelta(minutes=5) <= end.at - claims[-1].at <= timedelta(minutes=60)
            assert kinds.index("outcome") > kinds.index(end.kind)
            assert ("rated" in kinds) == (request.rating is not None)
            assert request.last_activity_at == end.at
        if request.status == "cancelled":
            assert kinds[-1] == "cancelled"
        if request.status == "unclaimed":
            assert kinds[-2:] == ["escalated", "unclaimed"]
        if "released" in kinds:  # handed back with /tra: a teammate took it
            assert len(claims) == 2
            assert claims[0].actor_id != claims[1].actor_id


async def test_every_request_was_lived_through_the_bot(db: AsyncSession):
    """The rows a real session leaves behind: timers, notifications, relayed messages."""
    events = await _history(db)
    timers: dict[int, list[TimerRow]] = {}
    for timer in await _all(db, TimerRow, TimerRow.id):
        timers.setdefault(timer.request_id or 0, []).append(timer)
    sent: dict[str, list[OutboxRow]] = {}
    for row in await _all(db, OutboxRow, OutboxRow.id):
        assert row.status in ("sent", "superseded")
        sent.setdefault(row.external_id, []).append(row)
    kinds_seen: Counter[str] = Counter()
    for request in await _all(db, HelpRequestRow, HelpRequestRow.id):
        done = {(t.kind, t.done_at) for t in timers.get(request.id, [])}
        for event in events[request.id]:
            kinds_seen[event.kind] += 1
            # What only a timer does happened when a timer of that kind was settled.
            if event.kind == "idle_closed":
                assert ("idle", event.at) in done
            if event.kind == "unclaimed":
                assert ("giveup", event.at) in done
            if event.kind == "escalated" and event.at > request.created_at:
                assert ("escalate", event.at) in done
            if event.kind == "claimed":  # the claim settled the waiting timers
                assert any(kind == "idle" for kind, _ in done)
        if request.status in ("active", "closed"):
            citizen = sent[request.citizen_external_id or ""]
            assert any(
                "đã nhận" in row.text and row.created_at <= request.last_activity_at
                for row in citizen
            )
    assert {"escalated", "idle_closed", "released", "ended", "rated"} <= set(kinds_seen)
    # Every relayed message reached the other side through the outbox, at that moment.
    requests = {r.id: r for r in await _all(db, HelpRequestRow, HelpRequestRow.id)}
    for message in await _all(db, RelayMessageRow, RelayMessageRow.id):
        request = requests[message.request_id]
        to = request.volunteer_external_id if message.sender == "citizen" else None
        to = to or request.citizen_external_id
        assert any(
            message.text in row.text and row.created_at == message.at for row in sent[to or ""]
        )


def test_no_demo_module_writes_what_the_bot_writes():
    """Only the cast (reference data) is built by the demo; the rest is the product's."""
    product_rows = {
        "HelpRequestRow", "RequestEventRow", "RelayMessageRow", "FieldLogRow", "TimerRow",
        "OutboxRow", "ConversationRow",
    }  # fmt: skip
    for path in DEMO_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in product_rows, f"{path.name} builds {node.func.id}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in ("insert", "add_all") or path.name == "cast.py"


async def test_the_demo_people_are_played_from_the_console(
    month: Played, tmp_path: Path, content: Content, matcher: Matcher, places: Places
):
    engine = create_engine(month.copy(tmp_path))
    bot = make_bot(engine, content, matcher, places, FakeClock(START))

    def person(name: str) -> Person:
        return Person(bot, ConversationKey("console", name))

    try:
        async with session_factory(engine)() as session:
            query = select(HelpRequestRow.ref).where(
                HelpRequestRow.status == "open", HelpRequestRow.commune_code == IA_GRAI
            )
            waiting = list((await session.execute(query.order_by(HelpRequestRow.id))).scalars())
            nguoidan = await session.scalar(
                select(IdentityRow.person_id).where(IdentityRow.external_id == "demo-nguoidan")
            )
            assert (
                await _count(session, HelpRequestRow, HelpRequestRow.citizen_id == nguoidan) == 0
            )
        assert len(waiting) == 2
        assert await bot.run_due_timers() == 0  # starting on the demo does not spam anyone

        lan = person("demo-lan")
        queue = await lan.say("/hangdoi")
        assert "Có 2 yêu cầu đang chờ" in texts(queue)
        for ref in waiting:
            assert f"{ref[:2]}-{ref[2:]}" in texts(queue)
        assert "đã nhận yêu cầu" in texts(await lan.press("Tôi nhận giúp"))
        async with session_factory(engine)() as session:
            taken = (
                await session.execute(
                    select(HelpRequestRow).where(HelpRequestRow.ref == waiting[0])
                )
            ).scalar_one()
        assert taken.status == "active"
        told = await person(taken.citizen_external_id or "").inbox()
        assert "Lan [DEMO] đã nhận yêu cầu" in texts(told)

        # What the summary tells a newcomer to try works: duty on, a new request reaches Lan.
        assert "Hiện có 1 yêu cầu đang chờ" in texts(await lan.say("/truc bat"))
        citizen = person("demo-nguoidan")
        # Issue 15: the console citizen finds the next help day of Ia Grai and asks a reminder.
        coming = texts(await citizen.say("/sukien"))
        assert "Buổi hỗ trợ trực tiếp sắp tới tại Xã Ia Grai, Gia Lai" in coming
        assert "Nhà văn hóa thôn 1 [DEMO]" in coming
        assert "sẽ nhắc" in texts(await citizen.press("Nhắc tôi"))
        shown = texts(await citizen.say("to cong nghe so o dau"))
        assert "Bộ phận một cửa, trụ sở UBND Xã Ia Grai, Gia Lai (ví dụ minh họa)" in shown
        assert "việc gì" in texts(await citizen.say("toi can nguoi giup"))
        await citizen.press("VNeID")
        assert "Ia Grai" in texts(await citizen.say("xã Ia Grai, Gia Lai"))
        await citizen.press("Ia Grai")
        await citizen.say("khong dang nhap duoc vneid")
        await citizen.press("Nhắn tin")
        opened = texts(await citizen.press("Không đồng ý"))
        ref = opened.split("Mã yêu cầu: ")[1].split(".")[0]
        assert ref in texts(await lan.inbox())
    finally:
        await engine.dispose()


async def test_the_same_seed_gives_the_same_demo(
    month: Played, tmp_path: Path, content: Content, matcher: Matcher, places: Places, db
):
    """Played again (on PostgreSQL when the suite has one), the month is the same."""
    if postgres_url():
        url = postgres_url()
        await _reset_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'again.db'}"
    await asyncio.to_thread(upgrade, url)
    summary = await play_on(url, content, matcher, places, seed=7)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            again = await describe(session)
    finally:
        await engine.dispose()
    assert summary == month.summary
    assert again == await describe(db)
    # Another seed writes another script.
    config = SupportConfig()
    first = TODAY - timedelta(days=29)
    teams = TEAMS
    seven = plan_requests(random.Random(7), teams, first, START, config)
    eight = plan_requests(random.Random(8), teams, first, START, config)
    assert seven == plan_requests(random.Random(7), teams, first, START, config)
    assert seven != eight


async def test_a_deployment_without_gia_lai_gets_a_clear_refusal(
    tmp_path: Path, content: Content, matcher: Matcher
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hanoi.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    hanoi = Places.load(provinces=("Hà Nội",))
    try:
        bot = make_bot(engine, content, matcher, hanoi, FakeClock(START))
        with pytest.raises(DemoError, match="Gia Lai"):
            await seed_demo(bot, today=TODAY)
        async with session_factory(engine)() as session:
            assert await database_is_empty(session)
    finally:
        await engine.dispose()


async def test_the_report_shows_the_demo_month(db: AsyncSession):
    report = await build_report(
        db,
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


async def test_a_button_the_bot_never_showed_stops_the_demo(engine, bot):
    stage = Stage(bot, START)
    lan = stage.actor("demo-lan")
    with pytest.raises(DemoDrift, match="never shown"):
        await lan.press("claim", "HT7K4P")
    replies = await lan.say("/start")
    assert lan.seen >= {b.payload for r in replies for b in r.buttons}


def test_the_summary_lists_who_to_play():
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
    assert "trolyso --demo chat --as demo-nguoidan" in printed
    assert "/truc bat" in printed
    assert (
        "trolyso --demo report --from 2026-10-25 --to 2026-11-23 --province 'Gia Lai' "
        "--format table" in printed
    )


async def test_the_demo_has_subscribers_and_a_true_dry_run(month: Played, db: AsyncSession):
    """A few hundred opted-in citizens; the dry run the summary prints is what the campaign
    code counts for that commune, with some Zalo OA subscribers out of the 7-day window."""
    from storage.campaign_models import CampaignRow, SubscriptionRow
    from storage.campaigns import CampaignRepository

    summary = month.summary
    assert summary.subscribers == await _count(db, SubscriptionRow) == 300
    dry_run = summary.dry_run
    assert dry_run is not None
    assert dry_run.commune == "Xã Ia Grai, Gia Lai"
    province = await db.scalar(
        select(SubscriptionRow.province_code).where(SubscriptionRow.commune_code == IA_GRAI)
    )
    probe = CampaignRow(province_code=province, commune_code=IA_GRAI)
    audience = await CampaignRepository(db).audience(probe, START)
    assert (audience.reachable, audience.unreachable) == (dry_run.reachable, dry_run.unreachable)
    assert set(audience.reachable) == {"telegram", "zalobot", "zalo"}
    assert audience.unreachable.get("zalo", 0) > 0
    rendered = render_summary(summary)
    assert f"--commune 'Ia Grai' --text-file tin.txt --dry-run --as {dry_run.leader_handle}" in (
        rendered
    )
