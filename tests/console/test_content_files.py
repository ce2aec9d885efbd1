"""The content files page through the real ASGI app: an operator downloads, uploads an XLSX,
sees the preview and publishes; a leader gets 403; an upload without the CSRF token is
refused; a bad file lists its rows and publishes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

import httpx
import openpyxl
from sqlalchemy import func, select

from bot.services import Bot
from storage.content_versions import ContentVersionRow
from tests.console.conftest import World, csrf_of, sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEW_ANSWER = "Câu trả lời mới từ tệp Excel: anh/chị mở ứng dụng VNeID và làm theo hướng dẫn."


async def _versions(bot: Bot) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ContentVersionRow)) or 0)


def _edited(data: bytes, cell: str, value: str) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["intents"][cell] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_an_operator_downloads_uploads_previews_and_publishes(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    page = await client.get("/admin/content/files")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    download = await client.get("/admin/content/files/download/xlsx")
    assert download.headers["content-type"] == XLSX
    assert "attachment" in download.headers["content-disposition"]
    yaml_download = await client.get("/admin/content/files/download/yaml")
    assert yaml_download.text.startswith("intents:\n")

    first_id = next(iter(bot.live.content.intents))
    data = _edited(download.content, "D2", NEW_ANSWER)
    files = {"file": ("noi-dung.xlsx", data, XLSX)}
    preview = await client.post("/admin/content/files/check", data={"csrf": csrf}, files=files)
    assert preview.status_code == 200
    assert "0</b> thêm mới, <b>1</b> thay đổi" in preview.text
    assert f"~ {first_id}" in preview.text
    assert await _versions(bot) == 0  # a preview publishes nothing

    form = dict(re.findall(r'name="(base|filename|intents)" value="([^"]*)"', preview.text))
    import html

    fields = {k: html.unescape(v) for k, v in form.items()} | {"csrf": csrf}
    done = await client.post(
        "/admin/content/files/publish", files={k: (None, v) for k, v in fields.items()}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/content/files?da-xuat-ban=1"
    assert await _versions(bot) == 1
    assert bot.live.content.intents[first_id].answer == NEW_ANSWER

    stale = await client.post(
        "/admin/content/files/publish", files={k: (None, v) for k, v in fields.items()}
    )
    assert stale.status_code == 409  # made on version 0: upload again
    assert await _versions(bot) == 1


async def test_a_bad_file_lists_its_rows_and_publishes_nothing(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    csrf = csrf_of((await client.get("/admin/content/files")).text)
    download = await client.get("/admin/content/files/download/xlsx")
    data = _edited(download.content, "E3", "khong.co.that")
    files = {"file": ("sai.xlsx", data, XLSX)}
    preview = await client.post("/admin/content/files/check", data={"csrf": csrf}, files=files)
    assert preview.status_code == 422
    assert "intents, dòng 3, cột E (follow_ups)" in preview.text
    assert "/content/files/publish" not in preview.text
    junk = {"file": ("anh.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")}
    refused = await client.post("/admin/content/files/check", data={"csrf": csrf}, files=junk)
    assert refused.status_code == 422
    assert "không phải tệp nội dung" in refused.text
    assert await _versions(bot) == 0


async def test_a_leader_is_refused_and_an_upload_without_csrf_too(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    assert (await client.get("/admin/content/files")).status_code == 403
    assert (await client.get("/admin/content/files/download/xlsx")).status_code == 403
    await sign_in(client, bot, world.ids["operator"])
    files = {"file": ("a.yaml", b"intents: []\n", "application/yaml")}
    refused = await client.post("/admin/content/files/check", files=files)
    assert refused.status_code == 403
    assert "Yêu cầu không hợp lệ" in refused.text
