"""Report figures computed by hand from a small database, on SQLite and on PostgreSQL.

The queries are storage.report_queries; the figures are folded by bot.features.reports.

Times are written in Vietnam time (UTC+7) and stored in UTC, as the bot stores them. Places
are real (content/places): teams T1 and T2 in Hà Nội (01), wards Ba Đình (00004) and Ngọc Hà
(00008); T3 in Hồ Chí Minh (79), ward Tân Phú (27031).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.features.reports.build import build_report
from bot.features.reports.model import CitizensHelped, Report, VolunteerStats
from storage import session_factory
from storage.models import (
    FieldLogRow,
    HelpRequestRow,
    IdentityRow,
    PersonRow,
    RequestEventRow,
    TeamRow,
)
from storage.report_durations import Durations, percentile
from storage.report_queries import VIETNAM, ReportFilter, utc_bounds

JUNE = ReportFilter(date(2025, 6, 1), date(2025, 6, 30))
NOW = datetime(2025, 7, 2, 1, 30, tzinfo=UTC)  # the clock of these reports


def local(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    """A Vietnam-time instant of 2025, as the UTC time the database holds."""
    return datetime(2025, month, day, hour, minute, tzinfo=VIETNAM).astimezone(UTC)


@dataclass
class Req:
    created: datetime
    status: str
    topic: str = "vneid"
    place: tuple[str, str, str] = ("T1", "00004", "01")  # team, commune, province
    events: Sequence[tuple[str, float, str | None]] = ()  # kind, minutes after created, actor
    volunteer: str | None = None
    outcome: str | None = None
    services: list[str] = field(default_factory=list)
    rating: int | None = None
    demo: bool = False


# R7 is created at 00:30 on 1 July (local), 17:30 UTC on 30 June: outside June.
REQUESTS = {
    "R1": Req(
        local(10, 9),
        "closed",
        events=[("claimed", 4, "lan"), ("ended", 34, "lan"), ("outcome", 35, "lan")],
        volunteer="lan",
        outcome="resolved",
        services=["vneid_activation"],
        rating=5,
    ),
    "R2": Req(
        local(11, 10),
        "closed",
        topic="public_services",
        events=[("notified", 0, None), ("claimed", 10, "lan"), ("idle_closed", 70, None)],
        volunteer="lan",
        outcome="partly",
        services=["dvc_submission", "vneid_activation", "dvc_submission"],
        rating=4,
    ),
    "R3": Req(  # claimed by Minh, released, claimed by Lan: the first claim counts
        local(12, 8),
        "closed",
        events=[
            ("claimed", 1, "minh"),
            ("released", 5, "minh"),
            ("claimed", 20, "lan"),
            ("ended", 50, "lan"),
            ("ended", 55, None),
        ],
        volunteer="lan",
    ),
    "R4": Req(local(13, 14), "active", events=[("claimed", 30, "minh")], volunteer="minh"),
    "R5": Req(
        local(14, 7),
        "unclaimed",
        topic="digital_skills",
        events=[("notified", 0, None), ("escalated", 15, None), ("unclaimed", 60, None)],
    ),
    "R6": Req(local(30, 23, 30), "open", topic="other"),  # last local day, 16:30 UTC
    "R7": Req(local(1, 0, 30, month=7), "open"),
    "R8": Req(local(1, 0, 0), "cancelled", events=[("cancelled", 3, None)], demo=True),
    "R9": Req(
        local(15, 9),
        "closed",
        place=("T2", "00008", "01"),
        events=[("claimed", 6, "minh"), ("ended", 26, "minh")],
        volunteer="minh",
        outcome="resolved",
        rating=3,
    ),
    "R10": Req(
        local(16, 9),
        "closed",
        topic="cashless_payment",
        place=("T3", "27031", "79"),
        events=[("claimed", 8, "tu"), ("ended", 38, "tu")],
        volunteer="tu",
        outcome="referred",
        services=["cashless_setup"],
    ),
}


async def seed(session: AsyncSession) -> dict[str, int]:
    """The example database; returns the ids of the teams and people by short name."""
    teams = {
        "T1": TeamRow(name="Tổ CNSCĐ phường Ba Đình", commune_code="00004", province_code="01"),
        "T2": TeamRow(name="Tổ phường Ngọc Hà", commune_code="00008", province_code="01"),
        "T3": TeamRow(name="Tổ phường Tân Phú", commune_code="27031", province_code="79"),
    }
    session.add_all(teams.values())
    await session.flush()
    people = {
        "lan": PersonRow(
            handle="LAN4", role="volunteer", display_name="Lan", team_id=teams["T1"].id
        ),
        "minh": PersonRow(handle="MINH6", role="volunteer", team_id=teams["T1"].id),
        "tu": PersonRow(handle="TU9", role="leader", display_name="Tú", team_id=teams["T3"].id),
        "hoa": PersonRow(handle="HOA3", role="citizen", display_name="Hoa"),
    }
    session.add_all(people.values())
    await session.flush()
    session.add(IdentityRow(person_id=people["hoa"].id, channel="zalo", external_id="9988776655"))
    ids = {name: row.id for name, row in teams.items()}
    ids.update({name: row.id for name, row in people.items()})
    for number, (ref, spec) in enumerate(REQUESTS.items()):
        team, commune, province = spec.place
        request = HelpRequestRow(
            ref=f"HT{number:04d}",
            citizen_id=ids["hoa"],
            citizen_channel="zalo",
            citizen_external_id="9988776655",
            pseudonym=f"Người dân {ref}",
            volunteer_id=ids[spec.volunteer] if spec.volunteer else None,
            volunteer_channel="telegram" if spec.volunteer else None,
            volunteer_external_id="5550001" if spec.volunteer else None,
            team_id=ids[team],
            topic=spec.topic,
            commune_code=commune,
            province_code=province,
            phone="0912345678",
            status=spec.status,
            outcome=spec.outcome,
            services=spec.services,
            rating=spec.rating,
            is_demo=spec.demo,
            created_at=spec.created,
            last_activity_at=spec.created,
        )
        session.add(request)
        await session.flush()
        session.add(RequestEventRow(request_id=request.id, kind="created", at=spec.created))
        for kind, minutes, actor in spec.events:
            session.add(
                RequestEventRow(
                    request_id=request.id,
                    kind=kind,
                    actor_id=ids[actor] if actor else None,
                    at=spec.created + timedelta(minutes=minutes),
                )
            )
    session.add_all(
        [
            FieldLogRow(
                day=date(2025, 6, 1),
                commune_code="00004",
                province_code="01",
                team_id=ids["T1"],
                volunteer_id=ids["lan"],
                services=["vneid_activation", "scam_advice"],
                citizens_helped=12,
            ),
            FieldLogRow(
                day=date(2025, 6, 30),
                commune_code="00004",
                province_code="01",
                team_id=ids["T1"],
                volunteer_name="Cô Ba",
                services=["cashless_setup"],
                citizens_helped=5,
                source="import",
            ),
            FieldLogRow(  # the next day: outside June
                day=date(2025, 7, 1),
                commune_code="00004",
                province_code="01",
                team_id=ids["T1"],
                volunteer_id=ids["lan"],
                citizens_helped=100,
            ),
            FieldLogRow(
                day=date(2025, 6, 20),
                commune_code="27031",
                province_code="79",
                team_id=ids["T3"],
                volunteer_id=ids["tu"],
                services=["vneid_activation"],
                citizens_helped=7,
                source="demo",
            ),
        ]
    )
    await session.flush()
    return ids


async def seeded(engine: AsyncEngine) -> dict[str, int]:
    async with session_factory(engine).begin() as session:
        return await seed(session)


async def build(engine: AsyncEngine, report_filter: ReportFilter) -> Report:
    async with session_factory(engine)() as session:
        return await build_report(session, report_filter, now=NOW)


def counts(rows: Sequence[tuple[str, int]]) -> dict[str, int]:
    return {code: n for code, n in rows if n}


async def test_whole_period_figures(engine: AsyncEngine) -> None:
    await seeded(engine)
    report = await build(engine, JUNE)

    assert report.requests_total == 9  # R7 (00:30 on 1 July) is out
    assert counts(report.by_status) == {
        "closed": 5,
        "active": 1,
        "open": 1,
        "cancelled": 1,
        "unclaimed": 1,
    }
    assert [code for code, _ in report.by_status] == [
        "open",
        "active",
        "closed",
        "cancelled",
        "unclaimed",
    ]
    assert counts(report.by_topic) == {
        "vneid": 5,
        "public_services": 1,
        "digital_skills": 1,
        "other": 1,
        "cashless_payment": 1,
    }
    assert counts(report.by_outcome) == {"resolved": 2, "partly": 1, "referred": 1}
    assert report.closed_without_outcome == 1
    assert report.citizens == CitizensHelped(chat=6, field=24)
    assert report.citizens.total == 30
    assert report.field_logs_total == 3
    assert (report.demo_requests, report.demo_field_logs, report.demo_rows) == (1, 1, 2)


async def test_durations_come_from_events(engine: AsyncEngine) -> None:
    await seeded(engine)
    report = await build(engine, JUNE)
    # Waits (first claim - created): R1 4, R2 10, R3 1, R4 30, R9 6, R10 8 -> 1 4 6 8 10 30.
    # Median: (6 + 8) / 2 = 7. p90: h = 5 * 0.9 = 4.5 -> 10 + 0.5 * (30 - 10) = 20.
    assert report.wait.count == 6
    assert report.wait.median_minutes == pytest.approx(7.0)
    assert report.wait.p90_minutes == pytest.approx(20.0)
    # Handling (first end - first claim): R1 30, R2 60, R3 49, R9 20, R10 30 -> 20 30 30 49 60.
    # Median 30. p90: h = 4 * 0.9 = 3.6 -> 49 + 0.6 * (60 - 49) = 55.6.
    assert report.handling.count == 5
    assert report.handling.median_minutes == pytest.approx(30.0)
    assert report.handling.p90_minutes == pytest.approx(55.6)


async def test_ratings_services_and_volunteers(engine: AsyncEngine) -> None:
    await seeded(engine)
    report = await build(engine, JUNE)

    assert report.ratings.count == 3
    assert report.ratings.mean == pytest.approx(4.0)
    assert report.ratings.distribution == ((1, 0), (2, 0), (3, 1), (4, 1), (5, 1))

    services = {s.code: (s.chat_sessions, s.field_logs) for s in report.services}
    assert services["vneid_activation"] == (2, 2)  # R1, R2; the field logs of Lan and Tú
    assert services["dvc_submission"] == (1, 0)  # listed twice in R2: one session
    assert services["cashless_setup"] == (1, 1)
    assert services["scam_advice"] == (0, 1)
    assert services["other"] == (0, 0)

    assert report.volunteers == (
        VolunteerStats("Lan", 3, 3, 1, 12),
        VolunteerStats("MINH6", 3, 1, 0, 0),  # no display name: the handle
        VolunteerStats("Tú", 1, 1, 1, 7),
        VolunteerStats("Cô Ba", 0, 0, 1, 5),  # a field log naming someone without an account
    )


async def test_filters_by_commune_province_and_team(engine: AsyncEngine) -> None:
    ids = await seeded(engine)

    commune = await build(engine, ReportFilter(JUNE.start, JUNE.end, commune_code="00004"))
    assert commune.requests_total == 7  # R1-R6 and R8
    assert commune.citizens == CitizensHelped(chat=4, field=17)
    assert commune.demo_rows == 1
    assert [v.name for v in commune.volunteers] == ["Lan", "MINH6", "Cô Ba"]

    province = await build(engine, ReportFilter(JUNE.start, JUNE.end, province_code="01"))
    assert province.requests_total == 8
    assert counts(province.by_outcome) == {"resolved": 2, "partly": 1}

    team = await build(engine, ReportFilter(JUNE.start, JUNE.end, team_id=ids["T2"]))
    assert team.requests_total == 1
    assert team.team_name == "Tổ phường Ngọc Hà"
    assert team.wait == Durations(1, 6.0, 6.0)
    assert team.handling == Durations(1, 20.0, 20.0)
    assert team.field_logs_total == 0
    assert team.volunteers == (VolunteerStats("MINH6", 1, 1, 0, 0),)

    nothing = await build(
        engine, ReportFilter(JUNE.start, JUNE.end, province_code="79", commune_code="00004")
    )
    assert nothing.requests_total == 0
    assert nothing.wait == Durations(0, None, None)
    assert nothing.ratings.mean is None
    assert nothing.volunteers == ()


async def test_local_date_boundaries(engine: AsyncEngine) -> None:
    await seeded(engine)
    last_day = await build(engine, ReportFilter(date(2025, 6, 30), date(2025, 6, 30)))
    assert counts(last_day.by_status) == {"open": 1}  # R6 at 23:30 local; not R7 at 00:30
    assert last_day.field_logs_total == 1

    next_day = await build(engine, ReportFilter(date(2025, 7, 1), date(2025, 7, 1)))
    assert next_day.requests_total == 1  # R7: 17:30 UTC on 30 June is 1 July in Vietnam
    assert next_day.citizens.field == 100

    first_day = await build(engine, ReportFilter(date(2025, 6, 1), date(2025, 6, 1)))
    assert counts(first_day.by_status) == {"cancelled": 1}  # R8 at 00:00 local (demo)
    assert first_day.demo_requests == 1


def test_period_bounds_are_vietnam_midnights() -> None:
    since, until = utc_bounds(date(2025, 6, 1), date(2025, 6, 30))
    assert since == datetime(2025, 5, 31, 17, 0, tzinfo=UTC)
    assert until == datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="ends"):
        ReportFilter(date(2025, 6, 2), date(2025, 6, 1))


def test_percentile_is_linear_between_closest_ranks() -> None:
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0], 0.5) == 1.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert percentile(list(map(float, range(1, 11))), 0.9) == pytest.approx(9.1)
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


async def test_no_contact_data_in_the_report(engine: AsyncEngine) -> None:
    async with session_factory(engine).begin() as session:
        ids = await seed(session)
        phone_named = PersonRow(handle="PH7", role="volunteer", display_name="Anh 0987654321")
        session.add(phone_named)
        await session.flush()
        session.add(
            FieldLogRow(
                day=date(2025, 6, 2),
                commune_code="00004",
                province_code="01",
                team_id=ids["T1"],
                volunteer_id=phone_named.id,
                citizens_helped=1,
            )
        )
    report = await build(engine, JUNE)
    text = repr(report)
    for secret in ("0912345678", "9988776655", "5550001", "0987654321", "Hoa", "Người dân R"):
        assert secret not in text
    assert "Anh [số điện thoại]" in text


async def test_namesakes_get_their_handle_and_deleted_people_only_a_handle(
    engine: AsyncEngine,
) -> None:
    async with session_factory(engine).begin() as session:
        ids = await seed(session)
        namesake = PersonRow(handle="LAN8", role="volunteer", display_name="Lan")
        gone = PersonRow(
            handle="GONE3", role="volunteer", display_name="Bình", deleted_at=local(20, 9)
        )
        session.add_all([namesake, gone])
        await session.flush()
        for person in (namesake, gone):
            session.add(
                FieldLogRow(
                    day=date(2025, 6, 3),
                    commune_code="00004",
                    province_code="01",
                    team_id=ids["T1"],
                    volunteer_id=person.id,
                    citizens_helped=2,
                )
            )
    names = [v.name for v in (await build(engine, JUNE)).volunteers]
    assert names == ["Lan (LAN4)", "MINH6", "Tú", "Cô Ba", "GONE3", "Lan (LAN8)"]


@pytest.mark.parametrize(
    "now",
    [datetime(1999, 12, 31, 17, 0, tzinfo=UTC), datetime(2041, 2, 28, 23, 59, tzinfo=UTC)],
    ids=["past", "future"],
)
async def test_the_report_is_made_at_the_callers_clock(engine: AsyncEngine, now: datetime) -> None:
    """The clock gives the report's time; the filter alone gives its period and figures."""
    await seeded(engine)
    async with session_factory(engine)() as session:
        report = await build_report(session, JUNE, now=now)
        with pytest.raises(ValueError, match="timezone-aware"):
            await build_report(session, JUNE, now=now.replace(tzinfo=None))
    assert report.generated_at == now
    assert report == replace(await build(engine, JUNE), generated_at=now)
