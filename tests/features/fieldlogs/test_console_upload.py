"""Field-log upload in the console: the CLI's pipeline, its per-line errors and duplicate
safety, a size cap, the uploader's scope, and CSRF; SQLite and PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from bot.features.fieldlogs import limits
from bot.services import Bot
from intents.places import Places
from storage.models import AuditRow, FieldLogRow, TeamRow
from tests.console.conftest import (  # noqa: F401  (fixtures)
    LOCAL,
    World,
    client,
    console_app,
    csrf_of,
    sign_in,
    world,
)
from tests.features.fieldlogs.files import HEADER, csv_text, xlsx_bytes
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import bot, clock, config, people  # noqa: F401  (fixtures)

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(world: World) -> str:  # noqa: F811
    a = world.commune_a.code
    return csv_text(
        f"20/11/2026,{a},Nhà văn hóa thôn 3,vneid_activation,12,60,An,",
        f"21/11/2026,{a},Chợ xã,vneid_activation,xx,,,",  # line 3: not a number
        "22/11/2026,,Đến từng nhà,Việc khác,3,,,",  # the team's commune by default
        f"31/02/2026,{a},Chợ,vneid_activation,2,,,",  # line 5: no such day
    )


async def _stored(bot: Bot) -> list[tuple[str, int, int | None]]:  # noqa: F811
    async with bot.sessions() as session:
        query = select(FieldLogRow.commune_code, FieldLogRow.citizens_helped, FieldLogRow.team_id)
        return sorted((await session.execute(query.order_by(FieldLogRow.id))).tuples())


async def _upload(
    http: httpx.AsyncClient, data: bytes, name: str = "nhat-ky.csv", **fields: str
) -> httpx.Response:
    csrf = csrf_of((await http.get("/admin/support/fieldlogs")).text)
    kind = XLSX_TYPE if name.endswith(".xlsx") else CSV_TYPE
    return await http.post(
        "/admin/support/fieldlogs",
        data={"csrf": csrf, **fields},
        files={"tep": (name, data, kind)},
    )


async def test_an_upload_stores_good_rows_reports_bad_lines_and_never_twice(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    first = await _upload(client, _file(world).encode())
    assert first.status_code == 200
    assert "Đã nhập 2 dòng, bỏ qua 2 dòng lỗi." in first.text
    assert '<td data-label="Dòng" class="num">3</td>' in first.text
    assert '<td data-label="Dòng" class="num">5</td>' in first.text
    async with bot.sessions() as session:
        team_a = (
            await session.execute(select(TeamRow.id).where(TeamRow.name == "Tổ A"))
        ).scalar_one()
    expected = sorted([(world.commune_a.code, 12, team_a), (world.commune_a.code, 3, team_a)])
    assert await _stored(bot) == expected
    again = await _upload(client, _file(world).encode())
    assert "Đã nhập 0 dòng, bỏ qua 2 dòng đã nhập từ trước" in again.text
    assert await _stored(bot) == expected
    async with bot.sessions() as session:
        audits = list(
            (
                await session.execute(
                    select(AuditRow).where(AuditRow.action == "field_log_import")
                )
            ).scalars()
        )
    assert [(a.actor_id, a.detail["inserted"]) for a in audits] == [
        (world.ids["leader"], 2),
        (world.ids["leader"], 0),
    ]


async def test_an_xlsx_upload_and_a_dry_run(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    header: list[object] = [*HEADER.split(",")]
    rows: list[list[object]] = [
        header,
        ["19/11/2026", world.commune_b.code, "UBND xã", "vneid_activation", 7, 30, "", ""],
    ]
    data = xlsx_bytes(rows)
    checked = await _upload(client, data, "so-lieu.xlsx", **{"chi-kiem-tra": "1"})
    assert checked.status_code == 200
    assert "Đã kiểm tra 1 dòng: 1 dòng hợp lệ, 0 dòng lỗi. Chưa nhập dòng nào." in checked.text
    assert await _stored(bot) == []
    done = await _upload(client, data, "so-lieu.xlsx")
    assert "Đã nhập 1 dòng." in done.text
    assert await _stored(bot) == [(world.commune_b.code, 7, None)]


async def test_a_leader_cannot_log_for_another_commune(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    b = world.commune_b.code
    response = await _upload(
        client, csv_text(f"20/11/2026,{b},Chợ,vneid_activation,4,,,").encode()
    )
    assert response.status_code == 422
    assert "không thuộc phạm vi của anh/chị" in response.text
    assert '<td data-label="Dòng" class="num">2</td>' in response.text
    assert await _stored(bot) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Vui lòng chọn tệp nhật ký"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "tệp Excel cũ (.xls)"),
        (HEADER.encode() + b"\r\n", "chỉ có dòng tiêu đề"),
    ],
)
async def test_a_bad_file_is_explained(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,  # noqa: F811
    world: World,  # noqa: F811
    data: bytes,
    message: str,
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    response = await _upload(client, data)
    assert response.status_code == 422
    assert message in response.text
    assert await _stored(bot) == []


async def test_a_file_too_big_is_refused_before_it_is_read(
    monkeypatch: pytest.MonkeyPatch,
    bot: Bot,  # noqa: F811
    places: Places,
    world: World,  # noqa: F811
) -> None:
    monkeypatch.setattr(limits, "MAX_UPLOAD", 1000)
    transport = httpx.ASGITransport(app=console_app(bot, places))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        await sign_in(http, bot, world.ids["leader"])
        a = world.commune_a.code
        line = f"20/11/2026,{a},Chợ,vneid_activation,4,,,"
        over_cap = csv_text(*[line] * 40).encode()  # a few kilobytes: over the file cap
        refused = await _upload(http, over_cap)
        assert refused.status_code == 413
        assert "Tệp lớn hơn" in refused.text
        huge = await _upload(http, b"x" * (80 * 1024))  # over the whole form's cap
        assert huge.status_code == 413
        assert "Tệp quá lớn" in huge.text
    assert await _stored(bot) == []


async def test_an_upload_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient,  # noqa: F811
    bot: Bot,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    line = f"20/11/2026,{world.commune_a.code},Chợ,vneid_activation,4,,,"
    response = await client.post(
        "/admin/support/fieldlogs",
        files={"tep": ("nhat-ky.csv", csv_text(line).encode(), CSV_TYPE)},
    )
    assert response.status_code == 403
    assert "Yêu cầu không hợp lệ" in response.text
    assert await _stored(bot) == []
