"""The reports page of the console: the report of `trolyso report` and /baocao, on the web.

Filters are the command's (period, province, commune, team), limited to what the viewer may
see: an operator any place of the deployment's provinces, a team leader their own team (and,
within it, one of their communes). A filter outside that scope is refused (403), never
silently widened. The figures, tables and downloads come from the same code as the command:
`build_report`, `sections`, and `render_report` for CSV, XLSX and PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.responses import Response

from bot.features.console.charts import hbars
from bot.features.console.context import Forbidden, Page
from bot.features.console.registry import ConsoleRoute, NavItem
from bot.features.reports.build import build_report
from bot.features.reports.cli import parse_local_date, render_report
from bot.features.reports.model import Report
from bot.features.reports.sections import Section, sections
from bot.features.reports.wording import (
    NO_OUTCOME,
    Value,
    demo_text,
    float_vn,
    generated_text,
    headline,
    int_vn,
    label,
    period_text,
    scope_text,
)
from bot.features.reports.xlsx_export import XLSX_TYPE
from storage.audit import AuditRepository
from storage.models import TeamRow
from storage.report_queries import VIETNAM, ReportFilter
from storage.teams import TeamRepository
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, TOPICS

__all__ = ["Choice", "choose", "console_routes"]

DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": (XLSX_TYPE, "xlsx"),
    "png": ("image/png", "png"),
}


@dataclass
class Choice:
    """What the viewer asked for, checked: the report's filter, or the problems to fix."""

    start: date
    end: date
    province: str = ""
    commune: str = ""
    team: str = ""
    problems: list[str] = field(default_factory=list)
    filter: ReportFilter | None = None

    def query(self) -> str:
        values = {"tu": self.start.isoformat(), "den": self.end.isoformat()}
        values |= {k: v for k, v in (("tinh", self.province), ("xa", self.commune)) if v}
        if self.team:
            values["to"] = self.team
        return urlencode(values)


def _day(page: Page, name: str, default: date, what: str, problems: list[str]) -> date:
    text = page.query(name).strip()
    if not text:
        return default
    try:
        return parse_local_date(text)
    except argparse.ArgumentTypeError as error:
        problems.append(f"{what}: {error}.")
        return default


async def choose(page: Page, teams: list[TeamRow]) -> Choice:
    """The viewer's filters, checked against their scope; Forbidden for a place not theirs."""
    scope, places = page.scope, page.console.places
    today = page.now.astimezone(VIETNAM).date()
    problems: list[str] = []
    start = _day(page, "tu", today.replace(day=1), "Từ ngày", problems)
    end = _day(page, "den", today, "Đến ngày", problems)
    choice = Choice(start, end, problems=problems)
    if end < start:
        problems.append(
            "Ngày kết thúc đứng trước ngày bắt đầu: vui lòng chọn lại khoảng thời gian."
        )
    province = page.query("tinh").strip() if scope.is_operator else ""
    if scope.is_operator and scope.provinces and len(scope.provinces) == 1:
        province = province or next(iter(scope.provinces))
    if province:
        if places.province(province) is None:
            problems.append("Không có tỉnh/thành phố đã chọn: vui lòng chọn trong danh sách.")
        elif scope.provinces is not None and province not in scope.provinces:
            raise Forbidden
    commune = page.query("xa").strip()
    if commune:
        found = places.commune(commune)
        if found is None:
            problems.append("Không có xã/phường đã chọn: vui lòng chọn trong danh sách.")
        elif not scope.covers_place(found.code, found.province_code):
            raise Forbidden
        elif province and found.province_code != province:
            problems.append("Xã/phường đã chọn không thuộc tỉnh/thành phố đã chọn.")
    team_text = page.query("to").strip() if scope.is_operator else ""
    team_id = scope.team_id
    if team_text:
        team = next((t for t in teams if str(t.id) == team_text), None)
        if team is None:
            raise Forbidden  # a team that does not exist or is not the operator's
        team_id = team.id
    choice.province, choice.commune, choice.team = province, commune, team_text
    if not problems and (scope.is_operator or team_id is not None):
        choice.filter = ReportFilter(
            start,
            end,
            province_code=province or None,
            commune_code=commune or None,
            team_id=team_id,
        )
    return choice


async def _teams(page: Page) -> list[TeamRow]:
    """The teams the viewer may filter by (a leader: their own)."""
    scope = page.scope
    if not scope.is_operator:
        team = await TeamRepository(page.db).get(scope.team_id) if scope.team_id else None
        return [team] if team is not None else []
    return [team for team in await TeamRepository(page.db).all() if scope.covers_team(team)]


def _named(report: Report, page: Page) -> Report:
    places, f = page.console.places, report.filter
    province = places.province(f.province_code) if f.province_code else None
    commune = places.commune(f.commune_code) if f.commune_code else None
    return replace(
        report,
        province_name=province.short if province else None,
        commune_name=commune.label if commune else None,
    )


def shown(value: Value) -> str:
    """A figure as the page writes it: 1.234 and 7,5 (— when there is none)."""
    if value is None:
        return "—"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        return int_vn(value)
    return float_vn(value)


def _charts(report: Report) -> list[tuple[str, Markup]]:
    outcomes = [(label(OUTCOMES, c), n) for c, n in report.by_outcome]
    outcomes.append((NO_OUTCOME, report.closed_without_outcome))
    citizens = [("Qua tin nhắn", report.citizens.chat), ("Trực tiếp", report.citizens.field)]
    charts = (
        (
            "Yêu cầu hỗ trợ theo trạng thái",
            [(label(REQUEST_STATUSES, c), n) for c, n in report.by_status],
        ),
        ("Yêu cầu hỗ trợ theo chủ đề", [(label(TOPICS, c), n) for c, n in report.by_topic]),
        ("Kết quả các phiên đã kết thúc", outcomes),
        ("Người dân được hỗ trợ", citizens),
    )
    return [(title, hbars(rows, title)) for title, rows in charts]


def _province_options(page: Page) -> list[tuple[str, str]]:
    scope = page.scope
    if not scope.is_operator:
        return []
    return [
        (p.code, p.short)
        for p in page.console.places.provinces()
        if scope.provinces is None or p.code in scope.provinces
    ]


def _commune_options(page: Page, province: str) -> list[tuple[str, str]]:
    places = page.console.places
    if not page.scope.is_operator:
        found = (places.commune(code) for code in sorted(page.scope.communes))
        return [(c.code, c.label) for c in found if c is not None]
    return [(c.code, c.label) for c in places.communes_in(province)] if province else []


async def reports(page: Page) -> Response:
    teams = await _teams(page)
    choice = await choose(page, teams)
    report = None
    if choice.filter is not None:
        report = _named(await build_report(page.db, choice.filter, now=page.now), page)
    tables: list[tuple[Section, list[tuple[str, list[str]]]]] = []
    if report is not None:
        for section in sections(report):
            rows = [(name, [shown(v) for v in values]) for _, name, values in section.rows]
            tables.append((section, rows))
    return page.render(
        "reports.html",
        status=422 if choice.problems else 200,
        title="Báo cáo",
        choice=choice,
        report=report,
        no_team=not page.scope.is_operator and page.scope.team_id is None,
        headline=[(name, shown(value)) for name, value in headline(report)] if report else [],
        charts=_charts(report) if report else [],
        tables=tables,
        texts={
            "period": period_text(report),
            "scope": scope_text(report),
            "demo": demo_text(report),
            "generated": generated_text(report),
        }
        if report
        else {},
        provinces=_province_options(page),
        communes=_commune_options(page, choice.province),
        teams=[(str(t.id), t.name) for t in teams] if page.scope.is_operator else [],
        png=importlib.util.find_spec("matplotlib") is not None,
    )


async def download(page: Page) -> Response:
    wanted = str(page.request.path_params.get("fmt", ""))
    if wanted not in DOWNLOADS:
        return page.console.error(
            404,
            "Không tìm thấy",
            "Định dạng tải về phải là CSV, XLSX hoặc PNG.",
            person=page.person,
            csrf=page.csrf,
        )
    choice = await choose(page, await _teams(page))
    if choice.filter is None:
        return await reports(page)
    if wanted == "png" and importlib.util.find_spec("matplotlib") is None:
        return page.console.error(
            503,
            "Chưa tải được biểu đồ",
            "Máy chủ chưa cài thư viện vẽ biểu đồ, nên chưa tải được tệp PNG. Anh/chị vui lòng "
            "tải tệp XLSX, hoặc báo cán bộ vận hành cài thêm matplotlib.",
            person=page.person,
            csrf=page.csrf,
        )
    report = _named(await build_report(page.db, choice.filter, now=page.now), page)
    rendered = await asyncio.to_thread(render_report, report, wanted)
    body = rendered.encode("utf-8") if isinstance(rendered, str) else rendered
    await AuditRepository(page.db).record(
        "export",
        page.now,
        page.person.id,
        "report",
        by="console",
        format=wanted,
        start=choice.start.isoformat(),
        end=choice.end.isoformat(),
    )
    kind, extension = DOWNLOADS[wanted]
    name = f"bao-cao-{choice.start:%Y%m%d}-{choice.end:%Y%m%d}.{extension}"
    return Response(
        body,
        media_type=kind,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute("/reports", reports, nav=NavItem("Báo cáo", "/reports", order=40)),
        ConsoleRoute("/reports/download/{fmt}", download),
    ]
