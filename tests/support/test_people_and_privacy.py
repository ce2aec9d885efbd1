"""Roles, skills, field logs from the chat, and a citizen's control over their data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import Bot
from storage import session_factory
from storage.models import (
    AuditRow,
    FieldLogRow,
    HelpRequestRow,
    IdentityRow,
    PersonRow,
    RelayMessageRow,
)
from tests.support.conftest import FakeClock, claim_payload, texts
from tests.support.test_sessions import ask_for_help, make_team


async def test_configured_operator_gets_the_role_and_it_is_audited(people, bot: Bot, engine):
    reply = texts(await people("operator").say("/toi"))
    assert "Quản trị viên" in reply
    async with session_factory(engine)() as session:
        [row] = (await session.execute(select(AuditRow))).scalars()
        assert (row.action, row.detail["new"], row.detail["by"]) == (
            "role_change",
            "operator",
            "config",
        )


async def test_volunteer_help_lists_their_commands_only_for_them(people, bot: Bot):
    _, lan, _ = await make_team(people)
    assert "/hangdoi" in texts(await lan.say("/trogiup"))
    assert "/hangdoi" not in texts(await people("citizen").say("/trogiup"))


async def test_skills_route_requests_to_the_right_volunteers(people, bot: Bot):
    _, lan, minh = await make_team(people)
    await lan.say("/kynang cashless_payment")  # Lan helps with payments only
    citizen = people("citizen")
    await ask_for_help(citizen)  # a VNeID question
    assert await lan.inbox() == []
    [notice] = await minh.inbox()  # the request, with the button to claim it
    assert claim_payload([notice]).startswith("c:")
    assert "VNeID" in notice.text


async def test_max_sessions_is_respected(people, bot: Bot):
    _, lan, minh = await make_team(people)
    await minh.say("/truc tat")
    assert "tối đa 1" in texts(await lan.say("/toida 1"))
    first, second = people("c1"), people("c2")
    await ask_for_help(first)
    await lan.send_payload(claim_payload(await lan.inbox()))
    await ask_for_help(second)
    assert await lan.inbox() == []  # full: not even notified


async def test_field_log_from_the_chat(people, bot: Bot, engine):
    _, lan, _ = await make_team(people)
    assert "ngày nào" in texts(await lan.say("/ghinhan"))
    await lan.say("12/10")
    await lan.say("Nha van hoa thon 3")
    await lan.press("Kích hoạt tài khoản VNeID")
    await lan.press("Phòng chống lừa đảo")
    await lan.press("Xong")
    assert "1000" in texts(await lan.say("nhieu lam"))  # asks again for a number
    await lan.say("25")
    await lan.press("2 giờ")
    saved = texts(await lan.press("Bỏ qua"))
    assert "25 người dân" in saved
    async with session_factory(engine)() as session:
        row = (await session.execute(select(FieldLogRow))).scalar_one()
        assert row.day == date(2026, 10, 12)
        assert row.commune_code == "23764"
        assert row.services == ["vneid_activation", "scam_advice"]
        assert (row.citizens_helped, row.duration_minutes, row.source) == (25, 120, "chat")


async def test_field_log_rejects_future_days(people, bot: Bot):
    _, lan, _ = await make_team(people)
    await lan.say("/ghinhan")
    assert "chưa đúng" in texts(await lan.say("31/12/2026"))
    assert "Ở đâu" in texts(await lan.press("Hôm nay"))


async def test_citizen_sees_and_deletes_their_data(people, bot: Bot, engine: AsyncEngine):
    _, lan, _ = await make_team(people)
    citizen = people("citizen", channel="telegram")
    ref = await ask_for_help(citizen, mode="Gọi điện", phone="0912345678")
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.say("toi o thon 2")
    shown = texts(await citizen.say("/dulieu"))
    assert ref in shown
    assert "091****678" in shown
    assert "0912345678" not in shown
    assert "chắc chắn" in texts(await citizen.press("Xóa dữ liệu"))
    done = texts(await citizen.press("Tôi chắc chắn"))
    assert "Đã xóa" in done
    assert "kết thúc" in texts(await lan.inbox())  # the volunteer's session was ended
    async with session_factory(engine)() as session:
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert request.phone is None
        assert request.citizen_external_id is None
        assert request.description == ""
        assert await session.scalar(select(func.count()).select_from(RelayMessageRow)) == 0
        identities = (await session.execute(select(IdentityRow))).scalars()
        assert "citizen" not in {i.external_id for i in identities}
        deleted = await session.scalar(
            select(func.count()).where(PersonRow.deleted_at.is_not(None))
        )
        assert deleted == 1
        audit = (
            await session.execute(select(AuditRow).where(AuditRow.action == "data_deleted"))
        ).scalar_one()
        assert audit.detail["requests"] == 1
    # Writing again starts afresh as a new citizen; the old request stays in the counts.
    assert "Người dân" in texts(await citizen.say("/toi"))


async def test_retention_purges_old_messages(people, bot: Bot, clock: FakeClock, engine):
    _, lan, _ = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen, mode="Gọi điện", phone="0912345678")
    await lan.send_payload(claim_payload(await lan.inbox()))
    await citizen.say("xin chao chau")
    clock.advance(days=181)
    counts = await bot.purge()
    assert counts["messages"] == 1
    assert counts["descriptions"] == 1
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(RelayMessageRow)) == 0
        request = (await session.execute(select(HelpRequestRow))).scalar_one()
        assert request.status == "active"  # the counts survive, the words do not
        assert request.phone is None  # as the consent text promised


async def test_one_person_on_two_channels(people, bot: Bot, clock: FakeClock):
    _, lan, _ = await make_team(people)
    on_zalo = people("lan-zalo", channel="zalo")
    shown = texts(await lan.say("/lienket"))
    assert "Không đưa mã này cho bất kỳ ai, kể cả người xưng là cán bộ" in shown
    code = shown.split("/lienket ")[1].split()[0]
    # The code alone links nothing: the original account is asked, and must agree.
    assert "Đồng ý" in texts(await on_zalo.say(f"/lienket {code.lower()}"))
    assert "Tình nguyện viên" not in texts(await on_zalo.say("/toi"))
    asked = await lan.inbox()
    assert "Zalo" in texts(asked)
    assert "Đã liên kết" in texts(await lan.press("Đồng ý liên kết"))
    assert "Đã liên kết" in texts(await on_zalo.inbox())
    assert "Tình nguyện viên" in texts(await on_zalo.say("/toi"))  # same person, same role
    assert "không đúng" in texts(await people("x", channel="zalo").say(f"/lienket {code}"))
    code = texts(await lan.say("/lienket")).split("/lienket ")[1].split()[0]
    clock.advance(minutes=16)
    assert "hết hạn" in texts(await people("y", channel="zalo").say(f"/lienket {code}"))


async def test_leader_downloads_the_team_report_and_volunteers_cannot(people, bot: Bot, engine):
    import io

    from openpyxl import load_workbook

    leader, lan, _ = await make_team(people)
    citizen = people("citizen")
    await ask_for_help(citizen)
    await lan.send_payload(claim_payload(await lan.inbox()))
    [reply] = await leader.say("/baocao")
    assert "1 yêu cầu" in reply.text
    assert reply.attachment is not None
    assert reply.attachment.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(reply.attachment.data))
    overview = {row[0]: row[1] for row in workbook["Tổng quan"].iter_rows(values_only=True)}
    assert workbook.sheetnames[0] == "Tổng quan"
    assert overview["Tổ"] == "Tổ công nghệ số cộng đồng Xã Ia Grai, Gia Lai (số 1)"
    assert overview["Tổng số yêu cầu hỗ trợ"] == 1  # the one request, claimed by Lan
    assert "chỉ dành cho" in texts(await lan.say("/baocao"))
    assert "Cách dùng" in texts(await leader.say("/baocao 31/02/2026"))
    async with session_factory(engine)() as session:
        exports = (
            await session.execute(select(AuditRow).where(AuditRow.action == "export"))
        ).scalars()
        assert len(list(exports)) == 1  # only the file that was produced


async def test_a_link_code_given_away_is_refused_by_its_owner(people, bot: Bot, engine):
    """Issue 11 §3: whoever typed the code got the whole identity, role and stored phone
    number, and the owner was never told."""
    _, lan, _ = await make_team(people)
    code = texts(await lan.say("/lienket")).split("/lienket ")[1].split()[0]
    scammer = people("scammer", channel="telegram")
    assert "Đồng ý" in texts(await scammer.say(f"/lienket {code}"))
    warned = texts(await lan.inbox())
    assert "Telegram" in warned
    assert "Không phải tôi" in [b.title for b in lan.shown]
    assert "Đã từ chối" in texts(await lan.press("Không phải tôi"))
    assert "từ chối" in texts(await scammer.inbox())
    assert "Người dân" in texts(await scammer.say("/toi"))  # still a stranger
    # The code cannot be used again, and pressing an old button does nothing.
    assert "không đúng" in texts(await scammer.say(f"/lienket {code}"))
    assert "không đúng" in texts(await lan.say(f"/lienket xacnhan {code}"))
    async with session_factory(engine)() as session:
        actions = [
            a.action
            for a in (await session.execute(select(AuditRow).order_by(AuditRow.id))).scalars()
        ]
    assert "link_requested" in actions
    assert "link_refused" in actions
    assert "channel_linked" not in actions
    assert "link_failed" in actions


async def test_only_the_owner_can_confirm_a_link(people, bot: Bot):
    _, lan, minh = await make_team(people)
    code = texts(await lan.say("/lienket")).split("/lienket ")[1].split()[0]
    other = people("other", channel="zalo")
    await other.say(f"/lienket {code}")
    assert "không đúng" in texts(await minh.say(f"/lienket xacnhan {code}"))
    assert "Người dân" in texts(await other.say("/toi"))
