"""Content as files in a real browser: the operator downloads the XLSX, edits one answer,
uploads it through the file chooser, sees the preview and publishes; then a file with a bad
row shows where the problem is. Screenshots at 375 px and 1280 px go to test-artifacts/.
(Named to run after the learning-loop browser test, whose version numbers it would shift.)"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from tests.console.browser.conftest import WIDTHS, Server
from tests.console.browser.test_console_browser import _shoot, _sign_in

NEW_ANSWER = "Câu trả lời sửa trong Excel và tải lên qua trình duyệt."


def _edit(data: bytes, cell: str, value: str) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["intents"][cell] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(page: Page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_label(re.compile("Tệp .xlsx hoặc .yaml")).click()
    chooser.value.set_files(str(path))
    page.get_by_role("button", name="Kiểm tra tệp").click()


def test_an_xlsx_uploaded_in_the_browser_is_previewed_and_published(
    page: Page, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    _sign_in(page, server, "operator")
    _shoot(page, artifacts, "content-files", "/admin/content/files", server)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải tệp Excel (.xlsx)").click()
    original = Path(download.value.path()).read_bytes()

    edited = tmp_path / "noi-dung.xlsx"
    edited.write_bytes(_edit(original, "D2", NEW_ANSWER))
    _upload(page, edited)
    expect(page.get_by_text(re.compile(r"\d+ chủ đề hợp lệ"))).to_contain_text("1 thay đổi")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(artifacts / f"content-files-preview-{width}.png"), full_page=True)
    page.get_by_role("button", name="Xuất bản 1 thay đổi").click()
    expect(page.get_by_text(re.compile(r"Đã xuất bản phiên bản \d+"))).to_be_visible()

    with page.expect_download() as again:
        page.get_by_role("link", name="Tải tệp Excel (.xlsx)").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(again.value.path()).read_bytes()))
    assert workbook["intents"]["D2"].value == NEW_ANSWER

    broken = tmp_path / "sai.xlsx"
    broken.write_bytes(_edit(original, "E3", "khong.co.that"))
    _upload(page, broken)
    expect(page.get_by_text("intents, dòng 3, cột E (follow_ups)")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Xuất bản"))).to_have_count(0)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(artifacts / f"content-files-errors-{width}.png"), full_page=True)
