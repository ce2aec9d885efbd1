"""The content studio in a real browser: an operator searches, edits an answer, previews it
per channel and publishes; a message sent through the Telegram webhook test client in the
same test, to another process on the same database, gets the new answer once that process
takes up the version as its worker round does. Screenshots of the list, the edit form with
its preview and a new-intent draft, at 375 px and 1280 px, go to test-artifacts/console/."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.channels.telegram.runtime import SECRET_HEADER, TelegramRuntime
from bot.services import Services, compose
from bot.settings import Settings
from bot.web.app import create_app
from content.published import read_published
from tests.channels.telegram.fake_api import FakeBotAPI
from tests.channels.telegram.harness import for_chat, sample
from tests.console.browser.conftest import WIDTHS, Server
from tests.console.browser.test_console_browser import _shoot, _sign_in
from tests.console.browser.test_learning_browser import _wait_for_version

T = TypeVar("T")
INTENT = "dvc.login"
QUESTION = "không đăng nhập được cổng dịch vụ công"
NEW_ANSWER = (
    "Anh/chị vào dichvucong.gov.vn, bấm «Đăng nhập» rồi chọn tài khoản định danh điện tử "
    "VNeID. Cần giúp thêm, anh/chị bấm «Gặp tình nguyện viên»."
)
SECRET = "studio-browser-secret"
CHAT = 5551414


class TelegramWebhook:
    """Another worker of the deployment, in this process: the real Telegram runtime and web
    application on the server's database, the Bot API faked, driven by an HTTP test client.
    It runs on an event loop of its own (Playwright's sync API holds this thread's)."""

    def __init__(self, server: Server) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(server.env["TROLYSO_DATA_DIR"]),
            operators=server.env["TROLYSO_OPERATORS"],
        )
        self.api = FakeBotAPI()
        self.services: Services = self.run(self._start(settings))

    async def _start(self, settings: Settings) -> Services:
        services = compose(settings)
        self.runtime = TelegramRuntime(
            services.bot, "123456:TEST-TOKEN", SECRET, request=self.api, rate_limit=False
        )
        await self.runtime.start()
        return services

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=120)

    async def _ask(self, text: str) -> str:
        seen = len(self.api.sent(CHAT))
        update = for_chat(sample("text_message"), CHAT)
        update["message"]["text"] = text
        app = create_app(self.services.bot, [self.runtime])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            answer = await client.post(
                "/telegram/webhook",
                content=json.dumps(update),
                headers={"Content-Type": "application/json", SECRET_HEADER: SECRET},
            )
        assert answer.status_code == 200
        deadline = time.monotonic() + 30
        while len(self.api.sent(CHAT)) <= seen:
            assert time.monotonic() < deadline, "no reply from the Telegram runtime"
            await asyncio.sleep(0.05)
        return str(self.api.sent(CHAT)[seen].params["text"])

    def ask(self, text: str) -> str:
        return self.run(self._ask(text))

    def take_up_new_content(self) -> bool:
        """What every worker round does: take up the current version from the database."""
        return self.run(self.services.bot.live.refresh())

    def close(self) -> None:
        async def stop() -> None:
            await self.runtime.stop()
            await self.services.aclose()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def telegram_workers() -> Iterator[list[TelegramWebhook]]:
    """Started by the test once it has signed in (`trolyso console login-link` writes to the
    same SQLite file: the two never overlap)."""
    started: list[TelegramWebhook] = []
    try:
        yield started
    finally:
        for webhook in started:
            webhook.close()


def test_an_operator_edits_an_answer_and_telegram_answers_with_it(
    page: Page, server: Server, artifacts: Path, telegram_workers: list[TelegramWebhook]
) -> None:
    _sign_in(page, server, "operator")
    telegram = TelegramWebhook(server)
    telegram_workers.append(telegram)
    old_answer = telegram.services.bot.live.content.intents[INTENT].answer
    assert telegram.ask(QUESTION).startswith(old_answer[:60])

    page.get_by_role("link", name="Nội dung trả lời").first.click()
    page.get_by_label("Tìm theo mã, tiêu đề hoặc câu hỏi mẫu").fill("dang nhap dich vu cong")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.get_by_role("link", name="Đăng nhập Dịch vụ công")).to_be_visible()
    _shoot(page, artifacts, "studio-list", "/admin/content?q=dang+nhap", server)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server.url}/admin/content/{INTENT}")
    answer = page.get_by_label("Câu trả lời (tối đa 900 ký tự)")
    expect(answer).to_have_value(old_answer)
    answer.fill(NEW_ANSWER)
    page.get_by_role("button", name="Xem trước").click()
    preview = page.locator("section.previews")
    expect(preview.get_by_text("bản xem trước")).to_be_visible()
    for channel in ("Telegram", "Zalo OA", "Zalo Bot"):
        card = preview.locator("article.channel", has_text=channel)
        expect(card.locator(".bubble-text").first).to_contain_text(NEW_ANSWER[:40])
    expect(preview.locator(".key", has_text="👍 Hữu ích").first).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(artifacts / f"studio-preview-{width}.png"), full_page=True)

    page.get_by_role("button", name="Xuất bản", exact=True).click()
    notice = page.get_by_role("status").filter(has_text="Đã xuất bản phiên bản")
    expect(notice).to_be_visible()
    version = int(re.search(r"phiên bản (\d+)", notice.inner_text()).group(1))  # type: ignore[union-attr]
    expect(page.get_by_label("Câu trả lời (tối đa 900 ký tự)")).to_have_value(NEW_ANSWER)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(artifacts / "studio-published-375.png"), full_page=True)

    # The serving process wrote the version to its data folder for `trolyso match`: whole.
    _wait_for_version(server, version)
    written = read_published(Path(server.env["TROLYSO_DATA_DIR"]))
    assert written is not None
    assert written.intents[INTENT]["answer"] == NEW_ANSWER

    # Another worker, on the same database: its next round takes the version up.
    assert telegram.take_up_new_content()
    assert telegram.services.bot.live.version == version
    assert telegram.ask(QUESTION).startswith(NEW_ANSWER)

    page.goto(f"{server.url}/admin/versions")
    expect(page.get_by_text("sửa câu trả lời").first).to_be_visible()
    _shoot(page, artifacts, "studio-versions", "/admin/versions", server)


def test_a_missed_group_opens_a_new_intent_draft(
    page: Page, server: Server, artifacts: Path
) -> None:
    _sign_in(page, server, "operator")
    page.goto(f"{server.url}/admin/missed")
    group = page.locator("article.group").first
    first = group.locator("h2").inner_text().split("”")[0].lstrip("“")
    group.get_by_role("link", name="Tạo câu hỏi mới từ nhóm này").click()
    expect(page.get_by_role("heading", name="Chủ đề mới", level=1)).to_be_visible()
    expect(page.get_by_label("Câu hỏi mẫu (mỗi dòng một câu, ít nhất 10)")).to_contain_text(first)
    url = page.url.removeprefix(server.url)
    _shoot(page, artifacts, "studio-new", url, server)
    page.set_viewport_size({"width": 375, "height": 800})
    page.get_by_role("button", name="Xuất bản", exact=True).click()  # nothing filled in yet
    expect(page.get_by_role("alert").filter(has_text="Chưa xuất bản")).to_be_visible()
    expect(page.locator("#loi-id")).to_be_visible()
    page.screenshot(path=str(artifacts / "studio-new-errors-375.png"), full_page=True)
