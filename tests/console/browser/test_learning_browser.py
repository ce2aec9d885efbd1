"""The learning loop in a real browser: an operator attaches a group of missed questions to
an intent, `trolyso match` (a subprocess on the same data folder) then returns that intent,
and a revert makes the same messages fall back again. Screenshots of the new pages at 375 px
and 1280 px go to test-artifacts/console/."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from content.published import read_published
from tests.console.browser.conftest import SWIMMING, Server
from tests.console.browser.test_console_browser import _shoot, _sign_in

INTENT = "oos.education"


def _wait_for_version(server: Server, version: int) -> None:
    """The server writes the published file right after its response: wait for it (bounded;
    a worker of another process would take up to one round, 2 s)."""
    data = Path(server.env["TROLYSO_DATA_DIR"])
    deadline = time.monotonic() + 10
    while True:
        found = read_published(data)
        if found is not None and found.version == version:
            return
        assert time.monotonic() < deadline, f"version {version} not published to {data}"
        time.sleep(0.05)


def _match(server: Server) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "match"],
        input="\n".join(SWIMMING) + "\n",
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_an_attached_group_is_matched_and_a_revert_undoes_it(
    page: Page, server: Server, artifacts: Path
) -> None:
    assert {line["action"] for line in _match(server)} == {"fallback"}
    _sign_in(page, server, "operator")
    expect(
        page.get_by_role("link", name="Câu hỏi chưa hiểu: 3 nhóm đang chờ xử lý")
    ).to_be_visible()
    _shoot(page, artifacts, "missed", "/admin/missed", server)
    group = page.locator("article.group", has_text=SWIMMING[0])
    expect(group.get_by_text("3 lần")).to_be_visible()
    group.get_by_role("button", name="Điểm thi, tuyển sinh").click()
    expect(page.get_by_text("Đã xuất bản phiên bản 1")).to_be_visible()
    expect(page.locator("article.group", has_text=SWIMMING[0])).to_have_count(0)
    page.screenshot(path=str(artifacts / "missed-published-1280.png"), full_page=True)

    _wait_for_version(server, 1)
    assert [line["intent"] for line in _match(server)] == [INTENT] * len(SWIMMING)

    _shoot(page, artifacts, "versions", "/admin/versions", server)
    page.get_by_role("button", name="Quay lại nội dung gốc").click()
    expect(page.get_by_text("Đã tạo phiên bản 2")).to_be_visible()
    _wait_for_version(server, 2)
    assert {line["action"] for line in _match(server)} == {"fallback"}
    _shoot(page, artifacts, "versions-reverted", "/admin/versions", server)


def test_a_leader_sees_the_groups_of_their_communes_only(
    page: Page, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "leader")
    page.goto(server.url + "/admin/missed")
    expect(page.get_by_role("heading", name="Câu hỏi chưa hiểu", level=1)).to_be_visible()
    expect(page.get_by_text("mất con mèo thì báo ai")).to_have_count(0)  # another commune
    expect(page.get_by_role("button", name="Bỏ qua nhóm này")).to_have_count(0)
    _shoot(page, artifacts, "missed-leader", "/admin/missed", server)
    response = page.goto(server.url + "/admin/versions")
    assert response is not None
    assert response.status == 403
