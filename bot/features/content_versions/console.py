"""The versions page: every publication with its author, time, reason, figures and diff;
one click reverts to any of them (a revert is itself a new version, gated and audited).

Reverting changes what the bot says for the whole deployment: operators only.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response

from bot.features.console.context import NotFound, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from bot.features.content_versions.publish import adopt, publish
from content.published import Overlay
from storage.audit import AuditRepository
from storage.content_versions import ContentVersionRepository
from storage.questions import QuestionLogRepository

__all__ = ["console_routes"]


async def versions(page: Page, refusal: object = None) -> Response:
    if page.console.live is None:
        raise NotFound
    repo = ContentVersionRepository(page.db)
    rows = await repo.listing()
    titles = {i.id: i.title for i in page.console.live.content.intents.values()}
    return page.render(
        "versions.html",
        status=422 if refusal is not None else 200,
        title="Phiên bản nội dung",
        rows=rows,
        current=rows[0].id if rows else 0,
        titles=titles,
        refusal=refusal,
        reverted=page.query("da-quay-lai"),
    )


def _int(text: str) -> int | None:
    text = text.strip()[:12]
    return int(text) if text.isdecimal() else None


async def revert(page: Page) -> Response:
    live = page.console.live
    if live is None:
        raise NotFound
    text = str(page.request.path_params.get("version", ""))[:12]
    if not text.isdecimal():
        raise NotFound
    target = int(text)
    repo = ContentVersionRepository(page.db)
    row = await repo.get(target) if target else None
    if target and row is None:
        raise NotFound
    overlay = Overlay.from_json(target, row.overlay if row else {})
    current_id = await repo.current_id()
    current = await repo.get(current_id) if current_id else None
    now_used = Overlay.from_json(current_id, current.overlay if current else {})
    changed = (
        set(overlay.examples)
        | set(now_used.examples)
        | set(overlay.intents)
        | set(now_used.intents)
    )
    label = f"phiên bản {target}" if target else "nội dung gốc"
    outcome = await publish(
        page.db,
        live,
        page.person,
        page.now,
        overlay,
        action="revert",
        reason=f"Quay lại {label}",
        changed=changed,
        gated=False,
        base=_int(page.form.get("phien-ban", "")),
    )
    if outcome.refused:
        return await versions(page, outcome)
    # The questions later publications had learned from are missed again.
    reopened = await QuestionLogRepository(page.db).reopen_after(target)
    if reopened:
        await AuditRepository(page.db).record(
            "missed_reopen", page.now, page.person.id, f"v{outcome.version}", count=reopened
        )
    response = RedirectResponse(
        f"{PREFIX}/versions?da-quay-lai={outcome.version}", status_code=303
    )
    response.background = BackgroundTask(adopt, live, outcome)  # after the commit
    return response


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute(
            "/versions",
            versions,
            role="operator",
            nav=NavItem("Phiên bản nội dung", "/versions", "operator", 30),
        ),
        ConsoleRoute("/versions/{version}/revert", revert, role="operator", methods=("POST",)),
    ]
