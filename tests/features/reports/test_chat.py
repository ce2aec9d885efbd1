"""/baocao in chat: the period and the report's time follow the Bot's clock, not the wall's."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.messages import Reply
from bot.services import Bot
from storage.report_queries import VIETNAM
from tests.support.conftest import FakeClock, claim_payload
from tests.support.test_sessions import ask_for_help, make_team


def cell(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Vietnam-time moment as an XLSX cell holds it (no time zone)."""
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM).replace(tzinfo=None)


def overview(reply: Reply) -> dict[object, object]:
    assert reply.attachment is not None
    workbook = load_workbook(io.BytesIO(reply.attachment.data))
    return {row[0]: row[1] for row in workbook["Tổng quan"].iter_rows(values_only=True)}


async def test_the_default_period_and_the_report_time_follow_the_bots_clock(
    people, bot: Bot, clock: FakeClock
) -> None:
    leader, lan, _ = await make_team(people)
    await ask_for_help(people("citizen"))  # 23/11/2026, 09:00 in Vietnam
    await lan.send_payload(claim_payload(await lan.inbox()))

    # Later that month: 23:59 on 30 November in Vietnam, 16:59 UTC.
    clock.now = datetime(2026, 11, 30, 16, 59, tzinfo=UTC)
    [reply] = await leader.say("/baocao")
    assert "từ 01/11/2026 đến 30/11/2026: 1 yêu cầu" in reply.text
    assert reply.attachment is not None
    assert reply.attachment.filename == "bao-cao-20261101-20261130.xlsx"
    figures = overview(reply)
    assert figures["Từ ngày"] == cell(2026, 11, 1)
    assert figures["Đến ngày"] == cell(2026, 11, 30)
    assert figures["Lập lúc (giờ Việt Nam)"] == cell(2026, 11, 30, 23, 59)

    # New Year in Vietnam while it is still 31 December in UTC: a new month, a new period.
    clock.now = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    [reply] = await leader.say("/baocao")
    assert "từ 01/01/2027 đến 01/01/2027: 0 yêu cầu" in reply.text
    figures = overview(reply)
    assert (figures["Từ ngày"], figures["Đến ngày"]) == (cell(2027, 1, 1),) * 2
    assert figures["Lập lúc (giờ Việt Nam)"] == cell(2027, 1, 1, 0, 30)
