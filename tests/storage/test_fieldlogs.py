"""Storing imported field logs: the right fields, no double counting, bad rows block nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.features.fieldlogs.parsing import ParsedImport
from bot.features.fieldlogs.pipeline import parse_field_logs
from bot.features.fieldlogs.summary import format_import_summary
from intents.normalize import fold
from storage import session_factory
from storage.fieldlogs import AUDIT_ACTION, FieldLogDraft, store_field_logs
from storage.models import AuditRow, FieldLogRow, PersonRow, TeamRow

NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
PROVINCES = {"00004": "01", "00008": "01", "26734": "79"}
NAMES = {"phuong ba dinh": "00004", "phuong ben thanh": "26734"}
HEADER = "Ngày,Xã/Phường,Địa điểm,Dịch vụ,Số người,Thời gian (phút),Tình nguyện viên,Ghi chú"
GOOD = [
    "05/10/2025,Phường Ba Đình,Nhà văn hóa tổ 5,Kích hoạt tài khoản VNeID; dvc_submission,12,120,"
    "Nguyễn Văn An,Gọi lại 0912345678",
    "05/10/2025,,Đến từng nhà,other,3,,,",
    "12/10/2025,26734,Chợ Bến Thành,cashless_use,7,60,Trần Thị Bình,",
]


def parse(*rows: str) -> ParsedImport:
    data = ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig")
    return parse_field_logs(
        data,
        "nhat_ky.csv",
        today=NOW.date(),
        default_commune="00008",
        resolve_commune=lambda text: NAMES.get(fold(text)),
        province_of=PROVINCES.get,
    )


async def team_and_leader(session: AsyncSession) -> tuple[int, int]:
    team = TeamRow(name="Tổ công nghệ số cộng đồng", commune_code="00008", province_code="01")
    session.add(team)
    await session.flush()
    leader = PersonRow(handle="TOTRUONG", role="leader", team_id=team.id)
    session.add(leader)
    await session.flush()
    return team.id, leader.id


async def stored_rows(engine: AsyncEngine) -> list[FieldLogRow]:
    async with session_factory(engine).begin() as session:
        query = select(FieldLogRow).order_by(FieldLogRow.id)
        return list((await session.execute(query)).scalars())


async def test_rows_are_stored_with_the_right_fields(engine: AsyncEngine) -> None:
    parsed = parse(*GOOD)
    async with session_factory(engine).begin() as session:
        team_id, leader_id = await team_and_leader(session)
        result = await store_field_logs(
            session, parsed.rows, team_id=team_id, created_by=leader_id, now=NOW
        )
    assert (result.inserted, result.duplicates) == (3, 0)
    rows = await stored_rows(engine)
    assert [
        (
            r.day,
            r.commune_code,
            r.province_code,
            r.team_id,
            r.volunteer_id,
            r.volunteer_name,
            r.place,
            r.services,
            r.citizens_helped,
            r.duration_minutes,
            r.notes,
            r.source,
        )
        for r in rows
    ] == [
        (
            date(2025, 10, 5),
            "00004",
            "01",
            team_id,
            None,
            "Nguyễn Văn An",
            "Nhà văn hóa tổ 5",
            ["vneid_activation", "dvc_submission"],
            12,
            120,
            "Gọi lại [số điện thoại]",
            "import",
        ),
        (
            date(2025, 10, 5),
            "00008",
            "01",
            team_id,
            None,
            None,
            "Đến từng nhà",
            ["other"],
            3,
            None,
            "",
            "import",
        ),
        (
            date(2025, 10, 12),
            "26734",
            "79",
            team_id,
            None,
            "Trần Thị Bình",
            "Chợ Bến Thành",
            ["cashless_use"],
            7,
            60,
            "",
            "import",
        ),
    ]
    assert all(r.created_at == NOW for r in rows)
    async with session_factory(engine).begin() as session:
        audit = (await session.execute(select(AuditRow))).scalar_one()
    assert (audit.action, audit.actor_id, audit.target) == (
        AUDIT_ACTION,
        leader_id,
        f"team:{team_id}",
    )
    assert audit.detail == {"inserted": 3, "duplicates": 0, "source": "import"}


async def test_importing_the_same_file_twice_counts_once(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        team_id, leader_id = await team_and_leader(session)
        first = await store_field_logs(
            session, parse(*GOOD).rows, team_id=team_id, created_by=leader_id
        )
    parsed = parse(*GOOD)
    async with sessions.begin() as session:
        second = await store_field_logs(
            session, parsed.rows, team_id=team_id, created_by=leader_id
        )
    assert (first.inserted, first.duplicates) == (3, 0)
    assert (second.inserted, second.duplicates, second.duplicate_lines) == (0, 3, (2, 3, 4))
    assert len(await stored_rows(engine)) == 3
    summary = format_import_summary(parsed, second)
    assert summary.startswith("Đã nhập 0 dòng, bỏ qua 3 dòng đã nhập từ trước.")


async def test_a_fixed_file_imported_again_adds_only_the_new_rows(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    bad = "13/10/2025,,Thôn Đông,sửa tivi,2,,,"
    first = parse(*GOOD, bad)
    assert [p.line for p in first.problems] == [5]
    async with sessions.begin() as session:
        result = await store_field_logs(session, first.rows, team_id=None, created_by=None)
    assert result.inserted == 3  # the failing row did not stop the good ones
    fixed = parse(*GOOD, bad.replace("sửa tivi", '"Kỹ năng dùng điện thoại, Internet"'))
    assert fixed.problems == []
    async with sessions.begin() as session:
        again = await store_field_logs(session, fixed.rows, team_id=None, created_by=None)
    assert (again.inserted, again.duplicates) == (1, 3)
    rows = await stored_rows(engine)
    assert [(r.place, r.services) for r in rows[3:]] == [("Thôn Đông", ["digital_skills"])]


async def test_identical_rows_in_one_file_are_both_kept_and_not_doubled_later(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    twice = [GOOD[1], GOOD[1]]
    async with sessions.begin() as session:
        first = await store_field_logs(session, parse(*twice).rows, team_id=None, created_by=None)
    async with sessions.begin() as session:
        three = parse(*twice, GOOD[1]).rows
        second = await store_field_logs(session, three, team_id=None, created_by=None)
    assert (first.inserted, second.inserted, second.duplicates) == (2, 1, 2)


async def test_rows_from_another_source_or_an_edited_row_are_not_duplicates(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await store_field_logs(
            session, parse(*GOOD).rows, team_id=None, source="demo", created_by=None
        )
    edited = GOOD[2].replace(",7,", ",8,")
    async with sessions.begin() as session:
        result = await store_field_logs(
            session, parse(*GOOD[:2], edited).rows, team_id=None, created_by=None
        )
    assert (result.inserted, result.duplicates) == (3, 0)


async def test_storing_never_commits(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        await store_field_logs(session, parse(*GOOD).rows, team_id=None, created_by=None)
        await session.rollback()
    assert await stored_rows(engine) == []


async def test_nothing_to_store_touches_nothing(engine: AsyncEngine) -> None:
    async with session_factory(engine).begin() as session:
        result = await store_field_logs(session, [], team_id=None, created_by=None)
        audits = (await session.execute(select(func.count()).select_from(AuditRow))).scalar()
    assert (result.inserted, result.duplicates, audits) == (0, 0, 0)


async def test_many_rows_over_many_days_and_communes(engine: AsyncEngine) -> None:
    drafts = [
        FieldLogDraft(
            line=i + 2,
            day=date(2025, 7, 1 + i % 30),
            commune_code=f"{i % 700:05d}",
            province_code="01",
            services=("other",),
            citizens_helped=1 + i % 50,
        )
        for i in range(5000)
    ]
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        first = await store_field_logs(session, drafts, team_id=None, created_by=None)
    async with sessions.begin() as session:
        second = await store_field_logs(session, drafts, team_id=None, created_by=None)
        count = (await session.execute(select(func.count()).select_from(FieldLogRow))).scalar()
    assert (first.inserted, second.inserted, second.duplicates, count) == (5000, 0, 5000, 5000)
