"""The console's reports page: the report of `trolyso report`, in the viewer's scope.

Runs the real ASGI console on SQLite and PostgreSQL (the storage fixtures); the world is two
teams in two communes, one waiting request each (tests/console/conftest.py).
"""

from __future__ import annotations

import io
import re
from datetime import date

import httpx
import openpyxl
import pytest
from sqlalchemy import select

from bot.features.reports.build import build_report
from bot.features.reports.cli import render_report
from bot.services import Bot
from intents.places import Places
from storage.models import AuditRow, TeamRow
from storage.report_queries import ReportFilter
from tests.console.conftest import World, client, sign_in, world  # noqa: F401  (fixtures)

PERIOD = "tu=2026-11-01&den=2026-11-30"


def _total(html: str) -> int:
    """The headline "Tổng số yêu cầu hỗ trợ" as the page shows it."""
    found = re.search(r"<dt>Tổng số yêu cầu hỗ trợ</dt><dd>([0-9.]+)</dd>", html)
    assert found is not None, "no total on the page"
    return int(found.group(1).replace(".", ""))


async def _team_id(bot: Bot, name: str) -> int:
    async with bot.sessions() as session:
        return int(
            (await session.execute(select(TeamRow.id).where(TeamRow.name == name))).scalar_one()
        )


async def test_an_operator_sees_every_team_and_charts(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    world: World,  # noqa: F811
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    page = await client.get(f"/admin/reports?{PERIOD}")
    assert page.status_code == 200
    assert _total(page.text) == 2
    assert page.text.count('class="chart hbars"') == 4
    assert "01/11/2026 – 30/11/2026" in page.text
    # A team filter narrows it to that team's request.
    team_b = await _team_id(bot, "Tổ B")
    narrowed = await client.get(f"/admin/reports?{PERIOD}&to={team_b}")
    assert _total(narrowed.text) == 1
    assert "Tổ B" in narrowed.text


async def test_a_leader_sees_their_team_only(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    world: World,  # noqa: F811
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    page = await client.get(f"/admin/reports?{PERIOD}")
    assert page.status_code == 200
    assert _total(page.text) == 1
    assert "Tổ A" in page.text
    # Their own commune is a filter they may use; another team's commune is refused.
    own = await client.get(f"/admin/reports?{PERIOD}&xa={world.commune_a.code}")
    assert own.status_code == 200
    assert _total(own.text) == 1
    other = await client.get(f"/admin/reports?{PERIOD}&xa={world.commune_b.code}")
    assert other.status_code == 403
    refused = await client.get(f"/admin/reports/download/csv?{PERIOD}&xa={world.commune_b.code}")
    assert refused.status_code == 403
    # The team filter is an operator's: a leader's report stays their team's.
    team_b = await _team_id(bot, "Tổ B")
    forced = await client.get(f"/admin/reports?{PERIOD}&to={team_b}")
    assert _total(forced.text) == 1
    assert "Tổ B" not in forced.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tu=2026-13-01", "không có tháng 13"),
        ("tu=hôm-qua", "không đúng dạng YYYY-MM-DD"),
        ("tu=2026-11-20&den=2026-11-01", "Ngày kết thúc đứng trước ngày bắt đầu"),
        ("xa=99999999", "Không có xã/phường đã chọn"),
    ],
)
async def test_a_bad_filter_is_explained_not_crashed(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    world: World,  # noqa: F811
    query: str,
    message: str,
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    page = await client.get(f"/admin/reports?{query}")
    assert page.status_code == 422
    assert message in page.text
    download = await client.get(f"/admin/reports/download/xlsx?{query}")
    assert download.status_code == 422
    assert download.headers["content-type"].startswith("text/html")


async def test_downloads_are_the_commands_files_and_audited(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,
    places: Places,
    world: World,  # noqa: F811
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    team_a = await _team_id(bot, "Tổ A")
    async with bot.sessions() as session:
        report = await build_report(
            session,
            ReportFilter(date(2026, 11, 1), date(2026, 11, 30), team_id=team_a),
            now=bot.clock(),
        )
    expected = render_report(report, "csv")
    assert isinstance(expected, str)
    csv = await client.get(f"/admin/reports/download/csv?{PERIOD}")
    assert csv.status_code == 200
    assert (
        csv.headers["content-disposition"]
        == 'attachment; filename="bao-cao-20261101-20261130.csv"'
    )
    assert csv.content == expected.encode("utf-8")
    xlsx = await client.get(f"/admin/reports/download/xlsx?{PERIOD}")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert "Trạng thái" in book.sheetnames
    png = await client.get(f"/admin/reports/download/png?{PERIOD}")
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    unknown = await client.get(f"/admin/reports/download/pdf?{PERIOD}")
    assert unknown.status_code == 404
    async with bot.sessions() as session:
        rows = list(
            (await session.execute(select(AuditRow).where(AuditRow.action == "export"))).scalars()
        )
    assert [(r.actor_id, r.detail["by"], r.detail["format"]) for r in rows] == [
        (world.ids["leader"], "console", "csv"),
        (world.ids["leader"], "console", "xlsx"),
        (world.ids["leader"], "console", "png"),
    ]
