"""The console's own pages: overview, help requests (list and detail), audit log.

Discovered like every feature's pages (bot.features.console.registry); each route names
the lowest role it needs, and the checks happen in bot.features.console.web.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup
from starlette.responses import Response

from bot.features.console.charts import bars
from bot.features.console.context import Forbidden, NotFound, Page
from bot.features.console.overview import Overview, Week, build_overview
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from bot.features.missed.console import open_group_count
from storage.console_lists import audit_page, request_events, requests_page
from storage.models import HelpRequestRow
from storage.people import PeopleRepository
from storage.support import HelpRequestRepository
from storage.vocabulary import REQUEST_STATUSES

__all__ = ["console_routes"]

PAGE_SIZE = 50
# The list's tabs: (query value, label, statuses shown).
STATUS_TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cho", "Đang chờ nhận", ("open",)),
    ("dang-ho-tro", "Đang hỗ trợ", ("active",)),
    ("da-xong", "Đã xong", ("closed", "cancelled", "unclaimed")),
    ("tat-ca", "Tất cả", ()),
)


@dataclass(frozen=True)
class Card:
    """One figure of the overview: this week, last week, a chart, and where to look closer."""

    label: str
    now: str
    before: str
    change: str
    chart: Markup
    link: str | None = None
    note: str = ""


def _change(now: float | None, before: float | None, unit: str = "") -> str:
    if now is None or before is None:
        return ""
    diff = now - before
    if abs(diff) < 0.05:
        return "không đổi"
    sign = "+" if diff > 0 else "−"
    # A change of a rate is in percentage points, not a percentage of the rate.
    return f"{sign}{abs(diff):g}" + (" điểm %" if unit == "%" else unit)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole) if whole else None


def _show(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", ".") + unit


def _cards(view: Overview, prefix: str) -> list[Card]:
    days, daily = view.days, view.daily
    this, last = view.this, view.last

    def card(
        label: str,
        key: str,
        now: float | None,
        before: float | None,
        unit: str = "",
        link: str | None = None,
    ) -> Card:
        chart = bars(daily.get(key, [None] * len(days)), days, label)
        change = _change(now, before, unit)
        return Card(label, _show(now, unit), _show(before, unit), change, chart, link)

    cards = [
        card("Câu hỏi người dân gửi", "asked", this.asked, last.asked),
        card(
            "Trả lời được ngay",
            "answer",
            _pct(this.actions["answer"], this.asked),
            _pct(last.actions["answer"], last.asked),
            "%",
        ),
        card(
            "Phải hỏi lại cho rõ",
            "clarify",
            _pct(this.actions["clarify"], this.asked),
            _pct(last.actions["clarify"], last.asked),
            "%",
        ),
        card(
            "Chưa hiểu câu hỏi",
            "fallback",
            _pct(this.actions["fallback"], this.asked),
            _pct(last.actions["fallback"], last.asked),
            "%",
        ),
        card(
            "Người dân bấm “Hữu ích”", "helpful", this.actions["helpful"], last.actions["helpful"]
        ),
        card(
            "Người dân bấm “Chưa đúng ý”",
            "unhelpful",
            this.actions["unhelpful"],
            last.actions["unhelpful"],
        ),
    ]
    if this.report is None or last.report is None:
        return cards
    now, before = this.report, last.report
    cards += [
        card(
            "Yêu cầu gặp người hỗ trợ",
            "opened",
            now.requests_total,
            before.requests_total,
            link=f"{prefix}/requests?trang-thai=tat-ca",
        ),
        card(
            "Yêu cầu đã có người nhận",
            "claimed",
            now.citizens.chat,
            before.citizens.chat,
            link=f"{prefix}/requests?trang-thai=dang-ho-tro",
        ),
        card(
            "Người dân được giúp trực tiếp",
            "field_citizens",
            now.citizens.field,
            before.citizens.field,
        ),
    ]
    return cards


def _week_label(week: Week) -> str:
    return f"{week.start:%d/%m}–{week.end:%d/%m}"


async def overview(page: Page) -> Response:
    view = await build_overview(page.db, page.scope, page.now)
    prefix = PREFIX
    this, last = view.this.report, view.last.report
    waits = None
    if this is not None and last is not None:
        waits = (this.wait.median_minutes, last.wait.median_minutes)
    return page.render(
        "overview.html",
        title="Tổng quan",
        cards=_cards(view, prefix),
        this_label=_week_label(view.this),
        last_label=_week_label(view.last),
        this_report=this,
        last_report=last,
        waits=waits,
        no_team=this is None,
        missed_groups=await open_group_count(page) if page.console.live else None,
    )


def _tab(page: Page) -> tuple[str, tuple[str, ...]]:
    wanted = page.query("trang-thai", "cho")
    for value, _, statuses in STATUS_TABS:
        if value == wanted:
            return value, statuses
    return STATUS_TABS[0][0], STATUS_TABS[0][2]


def _waited(request: HelpRequestRow, page: Page) -> timedelta | None:
    """How long the citizen waited for a person (or has waited so far)."""
    start = request.first_created_at or request.created_at
    if request.first_claimed_at is not None:
        return request.first_claimed_at - start
    if request.status == "open":
        return page.now - start
    return None


async def requests_list(page: Page) -> Response:
    tab, statuses = _tab(page)
    commune = page.query("xa")
    number = page.page_number()
    total, rows = await requests_page(
        page.db,
        page.scope.condition(),
        statuses=statuses,
        commune_code=commune or None,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    communes = sorted(page.scope.communes) if not page.scope.is_operator else []
    return page.render(
        "requests.html",
        title="Yêu cầu hỗ trợ",
        tabs=STATUS_TABS,
        tab=tab,
        commune=commune,
        communes=communes,
        rows=[(row, _waited(row, page)) for row in rows],
        total=total,
        number=number,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


async def request_detail(page: Page) -> Response:
    ref = str(page.request.path_params.get("ref", ""))[:16]
    request = await HelpRequestRepository(page.db).by_ref(ref)
    if request is None:
        raise NotFound
    if not page.scope.covers(request):
        raise Forbidden
    volunteer = (
        await PeopleRepository(page.db).get(request.volunteer_id) if request.volunteer_id else None
    )
    return page.render(
        "request.html",
        title=f"Yêu cầu {request.ref[:2]}-{request.ref[2:]}",
        item=request,
        waited=_waited(request, page),
        volunteer=volunteer,
        events=await request_events(page.db, request.id),
        statuses=REQUEST_STATUSES,
    )


async def audit(page: Page) -> Response:
    number = page.page_number()
    total, entries = await audit_page(page.db, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return page.render(
        "audit.html",
        title="Nhật ký thao tác",
        entries=entries,
        total=total,
        number=number,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute("/", overview, nav=NavItem("Tổng quan", "/", order=0)),
        ConsoleRoute(
            "/requests", requests_list, nav=NavItem("Yêu cầu hỗ trợ", "/requests", order=10)
        ),
        ConsoleRoute("/requests/{ref}", request_detail),
        ConsoleRoute(
            "/audit", audit, role="operator", nav=NavItem("Nhật ký", "/audit", "operator", 90)
        ),
    ]
