"""The content studio's pages: list and search intents, edit one, preview it on every channel,
publish it through the same gate as the learning loop; start a new intent from a group of
missed questions.

Publishing changes what the bot says for the whole deployment, so every studio page is for
operators (team leaders get 403, as the route table of tests/console/test_roles.py says).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response

from bot.features.console.context import NotFound, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from bot.features.content_versions.publish import Outcome, adopt, publish
from bot.features.missed.console import open_groups
from bot.features.studio.form import Draft, as_fields, read_draft
from bot.features.studio.listing import rows_of
from bot.features.studio.preview import ChannelView, replies_for
from bot.published import LiveContent
from content import Content
from content.published import Overlay, apply_overlay
from content.schema import TOPICS, Intent
from intents.normalize import normalize
from storage.audit import AuditRepository
from storage.content_versions import ContentVersionRepository, ContentVersionRow
from storage.questions import QuestionLogRepository
from storage.report_queries import VIETNAM

__all__ = ["console_routes"]

MAX_GROUP_IDS = 500
MAX_DRAFT_EXAMPLES = 60


def _live(page: Page) -> LiveContent:
    if page.console.live is None:
        raise NotFound
    return page.console.live


def _today(page: Page) -> date:
    return page.now.astimezone(VIETNAM).date()


async def _overlay(page: Page) -> Overlay:
    repo = ContentVersionRepository(page.db)
    current_id = await repo.current_id()
    current = await repo.get(current_id) if current_id else None
    return Overlay.from_json(current_id, current.overlay if current else {})


async def _content(page: Page) -> tuple[Content, Overlay]:
    """The content of the current version, read from the database: right after a publication
    this process may still be taking it up, and the page must show what was published."""
    live = _live(page)
    overlay = await _overlay(page)
    if overlay.version == live.version:
        return live.content, overlay
    return apply_overlay(live.baseline, overlay), overlay


async def listing(page: Page) -> Response:
    content, overlay = await _content(page)
    query = page.query("q")
    topic = page.query("chu-de")
    topic = topic if topic in TOPICS else ""
    rows = rows_of(content.intents.values(), _today(page), query, topic, overlay.intents)
    return page.render(
        "studio_list.html",
        title="Nội dung trả lời",
        rows=rows,
        total=len(content.intents),
        query=query,
        topic=topic,
        topics=content.messages.topic_titles,
        published=page.query("da-xuat-ban"),
    )


def _previews(page: Page, draft: Draft, current: Intent | None) -> list[ChannelView]:
    """The draft as each channel would send it (as far as it can be read)."""
    previewer = page.console.preview
    live = _live(page)
    if previewer is None:
        return []
    intent = draft.intent
    if intent is None:  # a draft with mistakes: show what can be read, nothing borrowed
        parsed = draft.parsed
        if not parsed.get("answer"):
            return []
        base = current or next(iter(live.content.intents.values()))
        topic = parsed.get("topic")
        intent = base.model_copy(
            update={
                "id": parsed.get("id") or base.id,
                "topic": topic if topic in TOPICS else base.topic,
                "title": parsed.get("title") or "…",
                "answer": parsed["answer"],
                "follow_ups": parsed.get("follow_ups", [])[:3],
                "sources": parsed.get("sources", []),
                "reviewed": parsed.get("reviewed") or _today(page),
            }
        )
    return previewer(replies_for(live.dialogue, intent))


def _group_ids(page: Page, raw: str) -> list[int]:
    parts = raw[:6000].split(",")
    return sorted({int(p) for p in parts if p.strip().isdecimal()})[:MAX_GROUP_IDS]


async def _group_examples(page: Page, ids: list[int]) -> str:
    """A missed group's (masked) questions, one per line, as the matcher tells them apart."""
    live = _live(page)
    wanted = set(ids)
    texts = [row.text for g in await open_groups(page) for row in g.rows if row.id in wanted]
    seen: set[str] = set()
    examples: list[str] = []
    for text in dict.fromkeys(texts):
        key = normalize(text, live.content.lexicon)
        if key and key not in seen:
            seen.add(key)
            examples.append(text.strip())
    return "\n".join(examples[:MAX_DRAFT_EXAMPLES])


def _a_year_after(day: date) -> date:
    return day.replace(year=day.year + 1, day=min(day.day, 28) if day.month == 2 else day.day)


def _form_page(
    page: Page,
    draft: Draft,
    current: Intent | None,
    *,
    refusal: Outcome | None = None,
    previewed: bool = False,
    status: int = 200,
    group: str = "",
    published: ContentVersionRow | None = None,
    base: int = 0,
) -> Response:
    """The edit form; `base` is the version it shows, posted back so that a publication made
    meanwhile is not overwritten."""
    live = _live(page)
    return page.render(
        "studio_edit.html",
        status=status,
        title=f"Sửa «{current.title}»" if current else "Chủ đề mới",
        current=current,
        values=draft.values,
        errors=draft.errors,
        refusal=refusal,
        previewed=previewed,
        previews=_previews(page, draft, current),
        topics=live.content.messages.topic_titles,
        group=group,
        published=published,
        reason=page.form.get("ly-do", "")[:300],
        base=base,
    )


async def edit(page: Page) -> Response:
    content, overlay = await _content(page)
    intent_id = str(page.request.path_params.get("intent", ""))[:120]
    current = content.intents.get(intent_id)
    if current is None:
        raise NotFound
    draft = read_draft(as_fields(current), content.intents, fixed_id=intent_id)
    version = page.query("da-xuat-ban")
    published = None
    if version.isdecimal():
        published = await ContentVersionRepository(page.db).get(int(version))
    return _form_page(page, draft, current, published=published, base=overlay.version)


async def new(page: Page) -> Response:
    live = _live(page)
    group = ",".join(str(i) for i in _group_ids(page, page.request.query_params.get("nhom", "")))
    today = _today(page)
    values = {"reviewed": f"{today:%Y-%m-%d}", "review_by": f"{_a_year_after(today):%Y-%m-%d}"}
    if group:
        values["examples"] = await _group_examples(page, _group_ids(page, group))
    draft = read_draft(values, live.content.intents)
    draft.errors = {}  # an empty form is not yet wrong
    base = (await _overlay(page)).version
    return _form_page(page, draft, None, group=group, base=base)


async def save(page: Page) -> Response:
    """Preview ("xem-truoc") or publish the form; the intent of the URL, or a new one."""
    live = _live(page)
    content, overlay = await _content(page)
    intent_id = str(page.request.path_params.get("intent", ""))[:120]
    current = content.intents.get(intent_id) if intent_id else None
    if intent_id and current is None:
        raise NotFound
    group = ",".join(str(i) for i in _group_ids(page, page.form.get("nhom", "")))
    draft = read_draft(page.form, content.intents, fixed_id=intent_id or None)
    posted = page.form.get("phien-ban", "").strip()[:12]
    base = int(posted) if posted.isdecimal() else overlay.version  # the version the form showed
    if page.form.get("action") == "xem-truoc":
        return _form_page(page, draft, current, previewed=True, group=group, base=base)
    if draft.intent is None:
        return _form_page(page, draft, current, status=422, group=group, base=base)
    intent = draft.intent
    # The form showed every example the bot uses (the shipped ones and those added since):
    # the edited intent carries them all, so its separate extras are dropped.
    extras = {k: v for k, v in overlay.examples.items() if k != intent.id}
    candidate = Overlay(overlay.version, extras, overlay.intents).replacing(intent)
    verb = "Sửa" if current is not None else "Thêm"
    outcome = await publish(
        page.db,
        live,
        page.person,
        page.now,
        candidate,
        action="publish",
        reason=f"{verb} chủ đề «{intent.title}» trong xưởng nội dung",
        changed=[intent.id],
        forced=page.form.get("ly-do", ""),
        base=base,
    )
    if outcome.refused:
        return _form_page(
            page, draft, current, refusal=outcome, status=422, group=group, base=base
        )
    await AuditRepository(page.db).record(
        "content_edit", page.now, page.person.id, intent.id, version=outcome.version
    )
    ids = _group_ids(page, group)
    if ids:
        wanted = set(ids)
        rows = [row.id for g in await open_groups(page) for row in g.rows if row.id in wanted]
        closed = await QuestionLogRepository(page.db).close_missed(
            rows, "resolved", outcome.version
        )
        await AuditRepository(page.db).record(
            "missed_new_intent", page.now, page.person.id, intent.id, count=closed
        )
    query = urlencode({"da-xuat-ban": outcome.version})
    response = RedirectResponse(f"{PREFIX}/content/{intent.id}?{query}", status_code=303)
    response.background = BackgroundTask(adopt, live, outcome)  # after the commit
    return response


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute(
            "/content",
            listing,
            role="operator",
            nav=NavItem("Nội dung trả lời", "/content", "operator", 25),
        ),
        ConsoleRoute("/content/moi", new, role="operator"),
        ConsoleRoute("/content/moi", save, role="operator", methods=("POST",)),
        ConsoleRoute("/content/{intent}", edit, role="operator"),
        ConsoleRoute("/content/{intent}", save, role="operator", methods=("POST",)),
    ]
