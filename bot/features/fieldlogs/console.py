"""Field-log upload in the console: a leader's CSV or XLSX file, checked and stored.

The same pipeline as `trolyso fieldlog import` (bot.features.fieldlogs.pipeline): the same
reading and zip limits, the same per-line problems, the same duplicate safety (a row imported
before is skipped, so sending a corrected file again never counts a row twice), the same
audit entry. On the web the file is also limited in bytes (`limits.MAX_UPLOAD`), and a row
must belong to the uploader's scope: a leader logs for the communes they serve, an operator
for the deployment's provinces; other rows are reported as errors on their line.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.responses import Response

from bot.features.console.context import Page
from bot.features.console.registry import ConsoleRoute
from bot.features.fieldlogs import limits
from bot.features.fieldlogs.parsing import ParsedImport, RowProblem
from bot.features.fieldlogs.pipeline import ImportContext, ImportResult, check_file, store_checked
from bot.features.fieldlogs.summary import format_import_summary
from bot.features.support_pages.console import teams_in_scope
from storage.models import TeamRow
from storage.report_queries import VIETNAM

__all__ = ["console_routes", "within_scope"]

SHOWN_PROBLEMS = 500  # problems listed on the page (the summary counts them all)
OUT_OF_SCOPE = (
    "xã/phường này không thuộc phạm vi của anh/chị, nên dòng này không được nhập. "
    "Vui lòng kiểm tra lại cột xa_phuong."
)


def within_scope(checked: ImportResult, page: Page, filename: str) -> ImportResult:
    """Rows of communes outside the uploader's scope become problems on their line."""
    parsed = checked.parsed
    if parsed is None or parsed.file_error is not None:
        return checked
    kept, outside = [], []
    for row in parsed.rows:
        if page.scope.covers_place(row.commune_code, row.province_code):
            kept.append(row)
        else:
            outside.append(RowProblem(row.line, "xa_phuong", OUT_OF_SCOPE))
    if not outside:
        return checked
    problems = sorted([*parsed.problems, *outside], key=lambda p: p.line)
    narrowed: ParsedImport = replace(parsed, rows=kept, problems=problems)
    return ImportResult(narrowed, None, format_import_summary(narrowed, None, filename))


async def _team(page: Page, teams: list[TeamRow]) -> TeamRow | None:
    if not page.scope.is_operator:
        return teams[0] if teams else None
    wanted = page.form.get("to", "")
    return next((t for t in teams if str(t.id) == wanted), None)


async def upload_form(
    page: Page, result: ImportResult | None = None, status: int = 200, problem: str = ""
) -> Response:
    teams = await teams_in_scope(page)
    parsed = result.parsed if result is not None else None
    return page.render(
        "fieldlog_upload.html",
        status=status,
        title="Nhập nhật ký hỗ trợ trực tiếp",
        tab="fieldlogs",
        teams=teams if page.scope.is_operator else [],
        no_team=not page.scope.is_operator and not teams,
        result=result,
        summary=result.summary.split("\n") if result is not None else [],
        problems=parsed.problems[:SHOWN_PROBLEMS] if parsed is not None else [],
        more=max(0, len(parsed.problems) - SHOWN_PROBLEMS) if parsed is not None else 0,
        problem=problem,
        max_mb=limits.MAX_UPLOAD // (1024 * 1024),
        form=page.form,
    )


async def upload(page: Page) -> Response:
    teams = await teams_in_scope(page)
    team = await _team(page, teams)
    if not page.scope.is_operator and team is None:
        return await upload_form(
            page, status=422, problem="Tài khoản của anh/chị chưa thuộc tổ nào."
        )
    sent = page.files.get("tep")
    if sent is None or not sent.data:
        return await upload_form(
            page, status=422, problem="Vui lòng chọn tệp nhật ký (CSV hoặc XLSX) để tải lên."
        )
    if len(sent.data) > limits.MAX_UPLOAD:
        return await upload_form(
            page,
            status=413,
            problem=f"Tệp lớn hơn {limits.MAX_UPLOAD // (1024 * 1024)} MB: vui lòng chia thành "
            "nhiều tệp nhỏ hơn.",
        )
    today = page.now.astimezone(VIETNAM).date()
    context = ImportContext.of_places(
        page.console.places, today, team.commune_code if team is not None else None
    )
    checked = within_scope(check_file(sent.data, sent.filename, context), page, sent.filename)
    if page.form.get("chi-kiem-tra") or not checked.storable:
        return await upload_form(page, checked, 422 if checked.refused else 200)
    result = await store_checked(
        page.db,
        checked,
        sent.filename,
        team_id=team.id if team is not None else None,
        created_by=page.person.id,
    )
    return await upload_form(page, result)


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute("/support/fieldlogs", upload_form),
        ConsoleRoute(
            "/support/fieldlogs",
            upload,
            methods=("POST",),
            upload=limits.MAX_UPLOAD + 64 * 1024,
        ),
    ]
