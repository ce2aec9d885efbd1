"""Reports and support pages in a real browser: an XLSX field log uploaded on the support
page appears in the report; screenshots of both pages (and the team page) at 375 and 1280 px
go to test-artifacts/console/.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from storage.report_queries import VIETNAM
from tests.console.browser.conftest import Server
from tests.console.browser.test_console_browser import _shoot, _sign_in

HEADER = ["ngay", "xa_phuong", "dia_diem", "dich_vu", "so_nguoi", "thoi_gian_phut"]


def _field_citizens(page: Page) -> int:
    figure = page.locator("dl.figures div", has_text="Người dân được hỗ trợ trực tiếp")
    return int(figure.locator("dd").inner_text().replace(".", ""))


def _xlsx(citizens: int) -> bytes:
    today = datetime.now(UTC).astimezone(VIETNAM).date()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([today.strftime("%d/%m/%Y"), "", "Nhà văn hóa", "vneid_activation", citizens, 90])
    sheet.append(["32/01/2026", "", "Chợ", "vneid_activation", 3, ""])  # no such day
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_field_log_uploaded_in_the_browser_appears_in_the_report(
    page: Page, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "leader")
    page.goto(server.url + "/admin/reports")
    expect(page.get_by_role("heading", name="Báo cáo", level=1)).to_be_visible()
    before = _field_citizens(page)

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(server.url + "/admin/support/fieldlogs")
    page.set_input_files(
        "input[name='tep']",
        {
            "name": "nhat-ky-thang.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": _xlsx(37),
        },
    )
    page.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_text("Đã nhập 1 dòng, bỏ qua 1 dòng lỗi.")).to_be_visible()
    expect(page.locator("table.problems td[data-label='Dòng']")).to_have_text(["3"])
    page.screenshot(path=str(artifacts / "fieldlog-result-375.png"), full_page=True)

    page.goto(server.url + "/admin/reports")
    assert _field_citizens(page) == before + 37
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    _shoot(page, artifacts, "reports", "/admin/reports", server)
    _shoot(page, artifacts, "support", "/admin/support", server)
    _shoot(page, artifacts, "support-team", "/admin/support/team", server)
    _shoot(page, artifacts, "support-fieldlogs", "/admin/support/fieldlogs", server)


def test_an_operator_makes_and_revokes_an_invite(
    page: Page, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "operator")
    page.goto(server.url + "/admin/support/team")
    page.get_by_label("Số người dùng được").fill("5")
    page.get_by_role("button", name="Tạo mã mời").click()
    expect(page.get_by_text("Đã tạo mã mời mới")).to_be_visible()
    codes = page.locator("code.invite")
    expect(codes).to_have_count(1)
    _shoot(page, artifacts, "operator-team", "/admin/support/team", server)
    _shoot(page, artifacts, "operator-reports", "/admin/reports", server)
    page.goto(server.url + "/admin/support/team")
    page.get_by_role("button", name="Thu hồi").click()
    expect(page.get_by_text("Đã thu hồi mã mời")).to_be_visible()
    expect(page.locator("code.invite")).to_have_count(0)
