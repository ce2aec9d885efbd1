"""The console in a real browser: sign in with a link, roles, CSRF, log-out, screenshots.

Screenshots of every page at 375 px (a phone) and 1280 px (a desktop) go to
test-artifacts/console/; look at them after changing a page.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

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


def test_a_link_signs_in_to_the_overview(page: Page, server: Server, artifacts: Path) -> None:
    link = server.login_link("operator")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(link)
    page.screenshot(path=str(artifacts / "login-375.png"), full_page=True)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server.url}/admin/")
    expect(page.get_by_role("heading", name="Tổng quan", level=1)).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    _shoot(page, artifacts, "overview", "/admin/", server)
    _shoot(page, artifacts, "requests", "/admin/requests?trang-thai=tat-ca", server)
    _shoot(page, artifacts, "request", f"/admin/requests/{server.ref_b}", server)
    _shoot(page, artifacts, "audit", "/admin/audit", server)
    page.goto(server.url + "/admin/requests")
    page.get_by_role("link", name="Tất cả").click()
    expect(page.get_by_text(server.ref_a[:2] + "-" + server.ref_a[2:])).to_be_visible()


def test_a_leader_is_refused_another_communes_request(
    page: Page, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "leader")
    own = page.goto(f"{server.url}/admin/requests/{server.ref_a}")
    assert own is not None
    assert own.status == 200
    other = page.goto(f"{server.url}/admin/requests/{server.ref_b}")
    assert other is not None
    assert other.status == 403
    expect(page.get_by_role("heading", name="Không có quyền truy cập")).to_be_visible()
    _shoot(page, artifacts, "forbidden", f"/admin/requests/{server.ref_b}", server)
    _shoot(page, artifacts, "leader-overview", "/admin/", server)
    audit = page.goto(f"{server.url}/admin/audit")
    assert audit is not None
    assert audit.status == 403


def test_a_form_without_its_csrf_token_is_refused(page: Page, server: Server) -> None:
    _sign_in(page, server, "operator")
    # The log-out form, with its token taken out before it is sent.
    page.locator("form[action='/admin/logout'] input[name='csrf']").evaluate("e => e.remove()")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Yêu cầu không hợp lệ")).to_be_visible()
    response = page.goto(f"{server.url}/admin/")
    assert response is not None
    assert response.status == 200  # refused, so still signed in


def test_log_out_ends_the_session(
    page: Page, chromium: Browser, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "operator")
    cookies = page.context.cookies()
    assert any(c["name"] == "trolyso_console" and c["httpOnly"] for c in cookies)
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Anh/chị đã đăng xuất")).to_be_visible()
    _shoot(page, artifacts, "logged-out", "/admin/logged-out", server)
    replay = chromium.new_context()
    try:
        replay.add_cookies(cookies)  # type: ignore[arg-type]
        again = replay.new_page()
        response = again.goto(f"{server.url}/admin/")
        assert response is not None
        assert response.status == 401
        expect(again.get_by_role("heading", name="Anh/chị chưa đăng nhập")).to_be_visible()
    finally:
        replay.close()
