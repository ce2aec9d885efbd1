"""The missed-questions page: groups of what the bot did not understand, biggest first.

Team leaders see the groups of their communes (they know what people there ask); attaching
a group to an intent publishes a new content version for the whole deployment and dismissing
hides it for everyone, so both are for operators (the route table of tests/console/test_roles.py
says so). Attaching runs the publication gate (bot/features/content_versions/publish.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response

from bot.features.console.context import NotFound, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from bot.features.content_versions.publish import Gate, Outcome, adopt, publish
from bot.features.missed.grouping import Group, group_missed, suggestions
from bot.published import LiveContent
from content.published import Overlay
from intents.normalize import normalize
from storage.audit import AuditRepository
from storage.content_versions import ContentVersionRepository
from storage.questions import QuestionLogRepository

__all__ = ["console_routes", "open_group_count", "open_groups"]

MAX_IDS = 500  # questions one form may resolve
MAX_ADDED = 50  # examples one attachment may add
MAX_COUNTS = 256  # overview counts kept per console (one per scope and open set)


def _live(page: Page) -> LiveContent:
    if page.console.live is None:
        raise NotFound
    return page.console.live


def _places(page: Page) -> tuple[list[str] | None, list[str] | None]:
    scope = page.scope
    provinces = sorted(scope.provinces) if scope.is_operator and scope.provinces else None
    communes = None if scope.is_operator else sorted(scope.communes)
    return provinces, communes


async def open_groups(page: Page) -> list[Group]:
    """The open groups this person may see (a leader: their communes only)."""
    provinces, communes = _places(page)
    rows = await QuestionLogRepository(page.db).open_missed(provinces, communes)
    return group_missed(rows, _live(page).content.lexicon)


async def open_group_count(page: Page) -> int:
    """How many open groups this person may see, for the overview. Grouping every open
    question takes a few hundred milliseconds at a province's size, so the count is kept per
    console and worked out again only when the open set (or the content) has changed."""
    provinces, communes = _places(page)
    mark = await QuestionLogRepository(page.db).open_missed_mark(provinces, communes)
    key = (tuple(provinces or ()), tuple(communes or ()), mark, id(_live(page).content))
    counts: dict[object, int] = page.console.memo.setdefault("missed_group_counts", {})
    if key not in counts:
        if len(counts) >= MAX_COUNTS:
            counts.clear()
        counts[key] = len(await open_groups(page))
    return counts[key]


def _ids(page: Page) -> list[int]:
    raw = page.form.get("ids", "").split(",")
    return sorted({int(part) for part in raw if part.strip().isdecimal()})[:MAX_IDS]


async def missed(page: Page, refusal: Outcome | None = None, chosen: str = "") -> Response:
    live = _live(page)
    groups = await open_groups(page)
    titles = {intent.id: intent.title for intent in live.content.intents.values()}
    operator = page.person.role == "operator"
    version = page.query("phien-ban")
    published = None
    if version.isdecimal():
        published = await ContentVersionRepository(page.db).get(int(version))
    return page.render(
        "missed.html",
        status=422 if refusal is not None else 200,
        title="Câu hỏi chưa hiểu",
        groups=[(g, suggestions(g, live.matcher) if operator else []) for g in groups],
        titles=titles,
        operator=operator,
        published=published,
        dismissed=page.query("bo-qua"),
        refusal=refusal,
        chosen=chosen,
        refused_ids=",".join(str(i) for i in _ids(page)) if refusal is not None else "",
    )


def _new_examples(texts: list[str], existing: list[str], live: LiveContent) -> list[str]:
    """The group's wordings the intent does not have yet (as the matcher reads them)."""
    lexicon = live.content.lexicon
    seen = {normalize(text, lexicon) for text in existing}
    added: list[str] = []
    for text in texts:
        key = normalize(text, lexicon)
        if key and key not in seen:
            seen.add(key)
            added.append(text.strip())
    return added[:MAX_ADDED]


async def attach(page: Page) -> Response:
    live = _live(page)
    intent_id = page.form.get("intent", "").strip()[:120]
    intent = live.content.intents.get(intent_id)
    ids = set(_ids(page))
    rows = [row for g in await open_groups(page) for row in g.rows if row.id in ids]
    if intent is None or not rows:
        return await missed(page, Outcome(_unknown(intent is None)), intent_id)
    texts = list(dict.fromkeys(row.text for row in rows))
    added = _new_examples(texts, list(intent.examples), live)
    repo = ContentVersionRepository(page.db)
    current_id = await repo.current_id()
    current = await repo.get(current_id) if current_id else None
    overlay = Overlay.from_json(current_id, current.overlay if current else {})
    outcome = await publish(
        page.db,
        live,
        page.person,
        page.now,
        overlay.adding(intent_id, added),
        action="publish",
        reason=f"Thêm {len(added)} câu hỏi chưa hiểu vào «{intent.title}»",
        changed=[intent_id],
        forced=page.form.get("ly-do", ""),
    )
    if outcome.refused:
        return await missed(page, outcome, intent_id)
    closed = await QuestionLogRepository(page.db).close_missed(
        [r.id for r in rows], "resolved", outcome.version
    )
    await AuditRepository(page.db).record(
        "missed_attach", page.now, page.person.id, intent_id, count=closed, version=outcome.version
    )
    query = urlencode({"phien-ban": outcome.version})
    response = RedirectResponse(f"{PREFIX}/missed?{query}", status_code=303)
    response.background = BackgroundTask(adopt, live, outcome)  # after the commit
    return response


def _unknown(no_intent: bool) -> Gate:
    message = (
        "Không tìm thấy chủ đề này. Anh/chị vui lòng chọn một chủ đề trong danh sách gợi ý."
        if no_intent
        else "Nhóm câu hỏi này đã được xử lý. Anh/chị vui lòng tải lại trang."
    )
    return Gate([message])


async def dismiss(page: Page) -> Response:
    ids = set(_ids(page))
    rows = [row.id for g in await open_groups(page) for row in g.rows if row.id in ids]
    closed = await QuestionLogRepository(page.db).close_missed(rows, "dismissed")
    await AuditRepository(page.db).record(
        "missed_dismiss", page.now, page.person.id, None, count=closed
    )
    return RedirectResponse(f"{PREFIX}/missed?bo-qua={closed}", status_code=303)


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute("/missed", missed, nav=NavItem("Câu hỏi chưa hiểu", "/missed", order=20)),
        ConsoleRoute("/missed/attach", attach, role="operator", methods=("POST",)),
        ConsoleRoute("/missed/dismiss", dismiss, role="operator", methods=("POST",)),
    ]
