"""The content as files in the console (/admin/content/files): download the content the bot
answers with as YAML or XLSX, upload such a file to see what it would change (a dry run,
every problem listed by sheet, row and column), then confirm to publish it as one version.

The preview keeps nothing on the server: its confirm form carries the new and changed
intents (JSON), and the publication checks them again in full, against the version the
preview was made on, so any web process can take the confirmation. Operators only: it
changes what the bot says for the whole deployment.
"""

from __future__ import annotations

import json

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response

from bot.features.console.context import NotFound, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from bot.features.content_files import limits
from bot.features.content_files.as_yaml import write_yaml
from bot.features.content_files.export import FORMATS, MEDIA_TYPES, export_bytes
from bot.features.content_files.importing import Plan, plan_import, publish_plan
from bot.features.content_files.records import Refused
from bot.features.content_versions.publish import Outcome, adopt
from bot.published import LiveContent
from content import Content
from content.published import Overlay, apply_overlay
from content.schema import Intent
from storage.content_versions import ContentVersionRepository

__all__ = ["console_routes"]

PATH = "/content/files"


async def _current(page: Page) -> tuple[LiveContent, Overlay, Content]:
    """The current version in the database and its content (this process's, unless another
    process published since its last round)."""
    live = page.console.live
    if live is None:
        raise NotFound
    repo = ContentVersionRepository(page.db)
    version = await repo.current_id()
    row = await repo.get(version) if version else None
    overlay = Overlay.from_json(version, row.overlay if row else {})
    content = live.content if version == live.version else apply_overlay(live.baseline, overlay)
    return live, overlay, content


def _render(
    page: Page,
    *,
    status: int = 200,
    plan: Plan | None = None,
    refused: str = "",
    outcome: Outcome | None = None,
    carried: str = "",
    base: int = 0,
) -> Response:
    shown = plan.problems[: limits.MAX_SHOWN] if plan else []
    return page.render(
        "content_files.html",
        status=status,
        title="Nội dung dạng tệp",
        plan=plan,
        shown=shown,
        hidden=len(plan.problems) - len(shown) if plan else 0,
        refused=refused,
        outcome=outcome,
        carried=carried,
        base=base,
        published=page.query("da-xuat-ban"),
        max_mb=limits.MAX_FILE // 1024 // 1024,
    )


async def files_page(page: Page) -> Response:
    _, overlay, _ = await _current(page)
    return _render(page, base=overlay.version)


async def download(page: Page) -> Response:
    kind = str(page.request.path_params.get("kind", ""))
    if kind not in FORMATS:
        raise NotFound
    _, overlay, content = await _current(page)
    data = export_bytes(content, "xlsx" if kind == "xlsx" else "yaml")
    name = f"tro-ly-so-noi-dung-v{overlay.version}.{kind}"
    return Response(
        data,
        media_type=MEDIA_TYPES["xlsx" if kind == "xlsx" else "yaml"],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _carry(plan: Plan) -> str:
    """The new and changed intents, for the confirm form."""
    touched = set(plan.touched)
    return json.dumps(
        [i.model_dump(mode="json") for i in plan.intents if i.id in touched],
        ensure_ascii=False,
        separators=(",", ":"),
    )


async def check(page: Page) -> Response:
    _, overlay, content = await _current(page)
    upload = page.files.get("file")
    if upload is None or not upload.data:
        return _render(page, status=422, refused="Anh/chị chưa chọn tệp.", base=overlay.version)
    try:
        plan = plan_import(upload.data, upload.filename, content)
    except Refused as refused:
        return _render(page, status=422, refused=str(refused), base=overlay.version)
    return _render(
        page,
        status=200 if plan.ok else 422,
        plan=plan,
        carried=_carry(plan) if plan.ok and plan.touched else "",
        base=overlay.version,
    )


def _carried_intents(text: str) -> list[Intent] | None:
    try:
        records = json.loads(text)
        return [Intent.model_validate(record) for record in records]
    except (ValueError, TypeError):
        return None


async def confirm(page: Page) -> Response:
    live, overlay, content = await _current(page)
    filename = page.form.get("filename", "tệp")[:120]
    intents = _carried_intents(page.form.get("intents", ""))
    if intents is None or not intents:
        return _render(
            page, status=422, refused="Dữ liệu xác nhận không hợp lệ; hãy tải tệp lên lại."
        )
    if page.form.get("base", "") != str(overlay.version):
        return _render(
            page,
            status=409,
            refused="Nội dung vừa được xuất bản phiên bản khác sau khi anh/chị xem trước. "
            "Hãy tải tệp lên lại để xem thay đổi so với phiên bản mới.",
            base=overlay.version,
        )
    # Checked again in full: the same reading and checks as the preview.
    plan = plan_import(write_yaml(intents), filename, content)
    if not plan.ok or not plan.touched:
        return _render(page, status=422, plan=plan, base=overlay.version)
    forced = page.form.get("forced", "")[:300]
    outcome = await publish_plan(
        page.db, live, page.person, page.now, plan, overlay, forced=forced
    )
    if outcome.refused:
        return _render(
            page,
            status=422,
            plan=plan,
            outcome=outcome,
            carried=page.form.get("intents", ""),
            base=overlay.version,
        )
    response = RedirectResponse(f"{PREFIX}{PATH}?da-xuat-ban={outcome.version}", status_code=303)
    response.background = BackgroundTask(adopt, live, outcome)  # after the commit
    return response


def console_routes() -> list[ConsoleRoute]:
    body = 2 * limits.MAX_FILE  # beyond the file cap: the page says how big the file was
    return [
        ConsoleRoute(
            PATH,
            files_page,
            role="operator",
            nav=NavItem("Nội dung dạng tệp", PATH, "operator", 35),
        ),
        ConsoleRoute(f"{PATH}/download/{{kind}}", download, role="operator"),
        ConsoleRoute(f"{PATH}/check", check, role="operator", methods=("POST",), upload=body),
        ConsoleRoute(f"{PATH}/publish", confirm, role="operator", methods=("POST",), upload=body),
    ]
