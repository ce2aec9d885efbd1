"""Campaigns in a real browser: a team leader composes a message for their commune, sees the
dry run, sends it and sees the delivery summary. Screenshots at 375 px and 1280 px go to
test-artifacts/console/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.console.browser.conftest import WIDTHS, Server
from tests.console.browser.test_console_browser import _sign_in


def _shoot_here(page: Page, artifacts: Path, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)


def test_a_leader_sends_a_campaign_to_their_commune(
    page: Page, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "leader")
    page.get_by_role("link", name="Gửi tin").click()
    expect(page.get_by_role("heading", name="Gửi tin cho người đăng ký")).to_be_visible()
    _shoot_here(page, artifacts, "campaigns")
    page.get_by_label("Nội dung").fill(
        "Sáng thứ Bảy, tổ công nghệ số cộng đồng hướng dẫn cài VNeID tại nhà văn hóa xã."
    )
    page.get_by_role("button", name="Xem trước số người nhận").click()
    expect(page.get_by_role("heading", name="Xem trước (chưa gửi)")).to_be_visible()
    expect(page.get_by_text("Gõ /tatnhantin để ngừng nhận tin.")).to_be_visible()
    _shoot_here(page, artifacts, "campaign-draft")
    page.get_by_role("button", name="Gửi ngay").click()
    expect(page.get_by_role("heading", name="Kết quả gửi")).to_be_visible()
    _shoot_here(page, artifacts, "campaign-sent")
