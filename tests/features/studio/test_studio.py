"""The content studio through the console's HTTP routes (real ASGI app, SQLite and PostgreSQL):
the list and its folded search, per-field errors with nothing published, the per-channel
preview, a publication the bot answers with at once (audited, versioned, diffed, revertible),
refusals for leaders and forms without CSRF, and a new intent from a missed-questions group."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import httpx
from sqlalchemy import select

from bot.services import Bot
from storage.console_models import MissedQuestionRow
from storage.content_versions import ContentVersionRow
from storage.models import AuditRow
from tests.console.conftest import World, csrf_of, sign_in
from tests.support.conftest import FakeClock, texts

INTENT = "dvc.login"
SWIMMING = [
    "đăng ký học bơi cho con ở đâu",
    "cho bé học bơi ở đâu",
    "con tôi muốn học bơi thì đăng ký lớp ở đâu",
    "lớp dạy bơi cho trẻ em đăng ký ở đâu",
    "đăng ký khóa học bơi mùa hè cho bé",
    "muốn cho con học bơi thì làm sao",
    "hoc boi cho tre em o dau",
    "lớp bơi thiếu nhi đăng ký ở đâu",
    "dang ky lop boi cho con",
    "cho con đi học bơi đăng ký thế nào",
]
QUESTION = "không đăng nhập được cổng dịch vụ công"
NEW_ANSWER = (
    "Anh/chị mở Cổng Dịch vụ công quốc gia, chọn «Đăng nhập», rồi chọn đăng nhập bằng "
    "tài khoản định danh điện tử VNeID."
)


def _fields(html: str) -> dict[str, str]:
    """The edit form's fields as the browser would post them."""
    values: dict[str, str] = {}
    for name, value in re.findall(r'<input [^>]*name="([^"]+)"[^>]* value="([^"]*)"', html):
        values[name] = unescape(value)
    textareas = re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)
    for name, value in textareas:
        values[name] = unescape(value)
    found = re.search(r'name="topic".*?<option value="([^"]+)" selected', html, re.S)
    if found:
        values["topic"] = found.group(1)
    return values


async def _versions(bot: Bot) -> list[ContentVersionRow]:
    async with bot.sessions() as session:
        query = select(ContentVersionRow).order_by(ContentVersionRow.id)
        return list((await session.execute(query)).scalars())


async def _audit(bot: Bot) -> list[tuple[str, str | None]]:
    async with bot.sessions() as session:
        query = select(AuditRow).where(AuditRow.action.not_like("console%")).order_by(AuditRow.id)
        return [(a.action, a.target) for a in (await session.execute(query)).scalars()]


async def test_the_list_searches_without_diacritics_and_marks_overdue_reviews(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    page = await client.get("/admin/content")
    assert page.status_code == 200
    assert f'href="/admin/content/{INTENT}"' in page.text
    total = len(bot.live.content.intents)
    assert f"{total} chủ đề" in page.text
    found = await client.get("/admin/content", params={"q": "dang nhap cong dich vu"})
    assert f'href="/admin/content/{INTENT}"' in found.text
    assert found.text.count('data-label="Chủ đề"') < total
    assert 'href="/admin/content/vneid.activate"' not in found.text
    by_example = await client.get("/admin/content", params={"q": "ĐĂNG NHẬP"})
    assert f'href="/admin/content/{INTENT}"' in by_example.text
    none = await client.get("/admin/content", params={"q": "xyzzy khong co"})
    assert "Không có chủ đề nào khớp" in none.text
    assert "quá hạn" not in page.text  # the shipped content is reviewed
    clock.advance(days=3 * 365)
    await sign_in(client, bot, world.ids["operator"])  # the session expired meanwhile
    later = await client.get("/admin/content", params={"q": "dang nhap"})
    assert "quá hạn" in later.text


async def test_wrong_fields_are_named_in_vietnamese_and_nothing_is_published(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    page = await client.get(f"/admin/content/{INTENT}")
    assert page.status_code == 200
    fields = _fields(page.text)
    assert fields["answer"] == bot.live.content.intents[INTENT].answer
    form = fields | {
        "title": "Một tiêu đề rất dài quá ba mươi hai ký tự cho nút",
        "examples": "chỉ một câu",
        "answer": "x" * 901,
        "sources": "Nguồn thiếu phần",
        "review_by": "2020-01-01",
        "follow_ups": "khong.co",
        "action": "xuat-ban",
    }
    done = await client.post(f"/admin/content/{INTENT}", data=form)
    assert done.status_code == 422
    text = unescape(done.text)
    assert "Tiêu đề có 49 ký tự; tối đa 32 ký tự" in text
    assert "Câu trả lời có 901 ký tự; tối đa 900 ký tự" in text
    assert "Dòng 1: cần đủ ba phần" in text
    assert "Không có chủ đề mã «khong.co» để gợi ý tiếp." in text
    assert text.count('aria-invalid="true"') >= 4
    assert await _versions(bot) == []
    # The schema's own refusals, once the form's reading passed.
    form = fields | {"examples": "một\nhai", "action": "xuat-ban"}
    done = await client.post(f"/admin/content/{INTENT}", data=form)
    assert done.status_code == 422
    assert "Cần ít nhất 10 câu hỏi mẫu khác nhau (hiện có 2)" in unescape(done.text)
    form = fields | {"review_by": "01/01/2020", "action": "xuat-ban"}
    done = await client.post(f"/admin/content/{INTENT}", data=form)
    assert done.status_code == 422
    assert "Ngày cần xem lại phải sau ngày đã kiểm tra." in unescape(done.text)
    assert await _versions(bot) == []
    assert bot.live.version == 0


async def test_the_preview_shows_each_channel_and_publishes_nothing(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    fields = _fields((await client.get(f"/admin/content/{INTENT}")).text)
    long_answer = ("Câu dài để thử cắt tin nhắn. " * 80).strip()  # 2,319 characters
    form = fields | {"answer": long_answer, "action": "xem-truoc"}
    done = await client.post(f"/admin/content/{INTENT}", data=form)
    assert done.status_code == 200
    html = unescape(done.text)
    assert "bản xem trước" in html
    for channel in ("Telegram", "Zalo OA", "Zalo Bot"):
        assert f"<h3>{channel} <span" in html
    # Telegram sends the answer whole (4,096), then the sources; Zalo cuts at 2,000.
    assert 'Telegram <span class="muted">· 2 tin nhắn · dài nhất 2.319/4.096' in html
    # Zalo OA: two pieces, then the sixth button in a message of its own (five a message),
    # then the sources; Zalo Bot writes the choices under the second piece.
    assert 'Zalo OA <span class="muted">· 4 tin nhắn · dài nhất 2.000/2.000' in html
    assert 'Zalo Bot <span class="muted">· 3 tin nhắn · dài nhất 2.000/2.000' in html
    assert '<span class="key">👍 Hữu ích</span><span class="key">' not in html  # one per row
    assert '<span class="key">👍 Hữu ích</span>' in html
    assert '<span class="key">Nguồn thông tin</span>' in html
    assert "4. 👍 Hữu ích" in html  # Zalo Bot: numbered lines, after three follow-ups
    assert "Câu trả lời có 2319 ký tự; tối đa 900 ký tự" in html  # shown, not published
    assert await _versions(bot) == []


async def test_publishing_makes_a_version_the_bot_answers_with_and_a_revert_undoes_it(
    client: httpx.AsyncClient, bot: Bot, world: World, people
) -> None:
    citizen = people("citizen-1")
    before = texts(await citizen.say(QUESTION))
    assert bot.live.content.intents[INTENT].answer in before
    await sign_in(client, bot, world.ids["operator"])
    fields = _fields((await client.get(f"/admin/content/{INTENT}")).text)
    done = await client.post(
        f"/admin/content/{INTENT}", data=fields | {"answer": NEW_ANSWER, "action": "xuat-ban"}
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/admin/content/{INTENT}?da-xuat-ban=1"
    assert bot.live.version == 1  # this process took it up after the commit
    assert NEW_ANSWER in texts(await people("citizen-2").say(QUESTION))
    [version] = await _versions(bot)
    assert version.author == world.handles["operator"]
    assert version.overlay["intents"][INTENT]["answer"] == NEW_ANSWER
    assert version.diff[0]["intent"] == INTENT
    assert version.diff[0]["fields"] == ["answer"]
    assert version.diff[0]["answer"][1] == NEW_ANSWER
    assert version.diff[0]["added"] == []
    assert version.diff[0]["removed"] == []
    assert version.figures["evaluated"] is True
    assert await _audit(bot) == [("content_publish", "v1"), ("content_edit", INTENT)]
    shown = await client.get(done.headers["location"])
    assert "Đã xuất bản phiên bản 1" in shown.text
    assert NEW_ANSWER in unescape(shown.text)
    versions = await client.get("/admin/versions")
    assert "sửa câu trả lời" in versions.text
    assert f"+ {NEW_ANSWER}" in unescape(versions.text)
    back = await client.post("/admin/versions/0/revert", data={"csrf": fields["csrf"]})
    assert back.status_code == 303
    assert bot.live.content.intents[INTENT].answer in texts(await people("c-3").say(QUESTION))


async def test_a_form_opened_before_another_publication_does_not_overwrite_it(
    client: httpx.AsyncClient, bot: Bot, world: World, people
) -> None:
    """Two operators open the same answer; the first publishes; the second's form (made on
    the older version) is refused with their draft kept, instead of undoing the first change."""
    await sign_in(client, bot, world.ids["operator"])
    older = _fields((await client.get(f"/admin/content/{INTENT}")).text)
    assert older["phien-ban"] == "0"
    first = await client.post(
        f"/admin/content/{INTENT}", data=older | {"answer": NEW_ANSWER, "action": "xuat-ban"}
    )
    assert first.status_code == 303
    late = older | {"answer": NEW_ANSWER + " Cảm ơn anh/chị.", "action": "xuat-ban"}
    refused = await client.post(f"/admin/content/{INTENT}", data=late)
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "vừa được xuất bản phiên bản 1" in html
    assert NEW_ANSWER + " Cảm ơn anh/chị." in html  # the draft is still in the form
    assert _fields(refused.text)["phien-ban"] == "0"  # a second click is refused too
    assert len(await _versions(bot)) == 1
    assert bot.live.content.intents[INTENT].answer == NEW_ANSWER
    # Opened again, the form is on version 1 and publishes.
    fresh = _fields((await client.get(f"/admin/content/{INTENT}")).text)
    assert fresh["phien-ban"] == "1"
    done = await client.post(f"/admin/content/{INTENT}", data=late | {"phien-ban": "1"})
    assert done.status_code == 303
    assert [v.base_id for v in await _versions(bot)] == [0, 1]


async def test_an_edit_that_makes_the_bot_worse_waits_for_a_reason(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    """Replacing the login answer's examples with swimming questions loses the evaluation
    set's login questions (many more lost than won): refused with the figures until the
    operator gives a reason, which is recorded."""
    await sign_in(client, bot, world.ids["operator"])
    fields = _fields((await client.get(f"/admin/content/{INTENT}")).text)
    harmful = fields | {"examples": "\n".join(SWIMMING), "action": "xuat-ban"}
    refused = await client.post(f"/admin/content/{INTENT}", data=harmful)
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "Nội dung mới làm trợ lý trả lời kém hơn trên bộ đánh giá" in html
    assert "Độ chính xác với câu trong phạm vi" in html
    assert "câu từ đúng thành sai" in html
    assert 'name="ly-do"' in html
    assert "Vẫn xuất bản" in html
    assert await _versions(bot) == []
    done = await client.post(f"/admin/content/{INTENT}", data=harmful | {"ly-do": "thử"})
    assert done.status_code == 303
    [version] = await _versions(bot)
    assert version.figures["forced"] == "thử"
    worse, better = version.figures["changed"]["in_scope_accuracy"]
    assert worse > better


async def test_an_example_another_intent_has_is_refused_by_the_checks(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    """Teaching dvc.login another intent's questions: the content checks refuse it."""
    await sign_in(client, bot, world.ids["operator"])
    fields = _fields((await client.get(f"/admin/content/{INTENT}")).text)
    stolen = bot.live.content.intents["vneid.activate"].examples[0]
    form = fields | {"examples": fields["examples"] + "\n" + stolen, "action": "xuat-ban"}
    refused = await client.post(f"/admin/content/{INTENT}", data=form)
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "Nội dung mới chưa đạt kiểm tra" in html
    assert stolen in html
    assert await _versions(bot) == []


async def test_leaders_get_403_and_a_form_without_csrf_is_refused(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    for path in ("/admin/content", f"/admin/content/{INTENT}", "/admin/content/moi"):
        assert (await client.get(path)).status_code == 403, path
    page = await client.get("/admin/")
    csrf = csrf_of(page.text)
    done = await client.post(f"/admin/content/{INTENT}", data={"csrf": csrf, "answer": NEW_ANSWER})
    assert done.status_code == 403
    assert "Nội dung trả lời" not in page.text  # not in a leader's menu
    await client.post("/admin/logout", data={"csrf": csrf})
    await sign_in(client, bot, world.ids["operator"])
    fields = _fields((await client.get(f"/admin/content/{INTENT}")).text)
    fields.pop("csrf")
    done = await client.post(f"/admin/content/{INTENT}", data=fields | {"answer": NEW_ANSWER})
    assert done.status_code == 403
    assert "Biểu mẫu đã cũ" in done.text
    assert await _versions(bot) == []


async def test_a_missed_group_becomes_a_new_intent_and_is_resolved(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock, people
) -> None:
    swimming = [
        "đăng ký học bơi cho con ở đâu",
        "dang ky hoc boi cho con o dau",  # the same to the matcher: one example
        "cho con đi học bơi đăng ký thế nào",
    ]
    async with bot.sessions.begin() as session:
        rows = [
            MissedQuestionRow(
                at=clock.now - timedelta(hours=n),
                channel="telegram",
                reason="fallback",
                text=text,
                status="open",
                commune_code=world.commune_a.code,
                province_code=world.commune_a.province_code,
            )
            for n, text in enumerate(swimming)
        ]
        session.add_all(rows)
        await session.flush()
        ids = ",".join(str(row.id) for row in rows)
    await sign_in(client, bot, world.ids["operator"])
    missed = await client.get("/admin/missed")
    assert f'href="/admin/content/moi?nhom={ids}"' in missed.text
    page = await client.get(f"/admin/content/moi?nhom={ids}")
    assert page.status_code == 200
    fields = _fields(page.text)
    assert fields["examples"].splitlines() == [swimming[0], swimming[2]]
    assert fields["nhom"] == ids
    examples = [
        *fields["examples"].splitlines(),
        "con tôi muốn học bơi thì đăng ký lớp ở đâu",
        "lớp dạy bơi cho trẻ em đăng ký ở đâu",
        "đăng ký khóa học bơi mùa hè cho bé",
        "cho bé học bơi ở đâu",
        "muốn cho con học bơi thì làm sao",
        "hoc boi cho tre em o dau",
        "lớp bơi thiếu nhi đăng ký ở đâu",
        "dang ky lop boi cho con",
    ]
    form = fields | {
        "id": "oos.swimming",
        "topic": "out_of_scope",
        "title": "Học bơi cho trẻ",
        "examples": "\n".join(examples),
        "answer": "Việc đăng ký học bơi không thuộc phạm vi của trợ lý số. Anh/chị vui lòng "
        "hỏi nhà văn hóa hoặc trung tâm thể thao của xã, phường.",
        "sources": "Trợ lý số | https://example.gov.vn/tro-ly-so | 2026-11-01",
        "action": "xuat-ban",
    }
    # A new decoy that takes nothing from the answers is published at once.
    done = await client.post("/admin/content/moi", data=form)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/admin/content/oos.swimming?")
    assert "oos.swimming" in bot.live.content.intents
    assert bot.live.matcher.match(swimming[1]).intent == "oos.swimming"
    async with bot.sessions() as session:
        statuses = set((await session.execute(select(MissedQuestionRow.status))).scalars())
    assert statuses == {"resolved"}
    assert ("missed_new_intent", "oos.swimming") in await _audit(bot)
    [version] = await _versions(bot)
    assert version.diff[0]["new"] is True
    assert "forced" not in version.figures
    again = await client.post("/admin/content/moi", data=form)  # the id is taken now
    assert again.status_code == 422
    assert "Đã có chủ đề mã «oos.swimming»" in unescape(again.text)
