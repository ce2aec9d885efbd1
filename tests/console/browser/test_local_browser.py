"""Help days and local details in a real browser (issue 15): a leader posts a day and fills
their commune's details; screenshots at 375 px and 1280 px go to test-artifacts/console/."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from bot.features.helpdays.rules import LOCAL_TIME
from tests.console.browser.conftest import WIDTHS, Server


def _sign_in(page: Page, server: Server, who: str) -> None:
    page.goto(server.login_link(who))
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server.url}/admin/")


def _shoot(page: Page, artifacts: Path, name: str, path: str, server: Server) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(server.url + path)
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)


def test_a_leader_posts_a_help_day_and_fills_local_details(
    page: Page, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "leader")
    page.get_by_role("link", name="Buổi hỗ trợ trực tiếp").click()
    expect(page.get_by_role("heading", name="Buổi hỗ trợ trực tiếp", level=1)).to_be_visible()
    day = datetime.now(LOCAL_TIME).date() + timedelta(days=5)
    page.get_by_label("Ngày", exact=True).fill(day.isoformat())
    page.get_by_label("Địa điểm").fill("Nhà văn hóa thôn 2")
    page.get_by_label("VNeID, định danh điện tử").check()
    page.get_by_label("Lưu ý cho người dân (không bắt buộc)").fill("Mang theo căn cước")
    page.get_by_role("button", name="Đăng buổi hỗ trợ").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu buổi hỗ trợ")
    expect(page.get_by_role("cell", name=day.strftime("%d/%m/%Y"))).to_be_visible()
    _shoot(page, artifacts, "helpdays", "/admin/helpdays", server)
    page.get_by_role("link", name="Sửa").first.click()
    expect(page.get_by_role("heading", name=f"Sửa buổi ngày {day:%d/%m/%Y}")).to_be_visible()
    page.get_by_label("Địa điểm").fill("")
    page.get_by_label("Địa điểm").fill("x" * 10)
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.get_by_role("cell", name="xxxxxxxxxx")).to_be_visible()

    page.get_by_role("link", name="Thông tin địa phương").click()
    page.get_by_label("Địa chỉ Bộ phận một cửa").first.fill("Trụ sở UBND xã, thôn 1")
    page.get_by_label("Giờ làm việc").first.fill("Sáng 7:30-11:30, chiều 13:30-17:00")
    page.get_by_role("button", name="Lưu").first.click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu thông tin địa phương")
    _shoot(page, artifacts, "local", "/admin/local", server)


def test_an_operator_finds_a_commune_to_fill(page: Page, server: Server, artifacts: Path) -> None:
    _sign_in(page, server, "operator")
    page.goto(server.url + "/admin/local")
    page.get_by_label("Tìm xã/phường cần cập nhật").fill("ba dinh ha noi")
    page.get_by_role("button", name="Tìm").click()
    expect(page.get_by_role("heading", name="Phường Ba Đình, Hà Nội")).to_be_visible()
    _shoot(page, artifacts, "local-operator", "/admin/local?tim=ba+dinh+ha+noi", server)
