"""/admin/helpdays: a team's help days, past, coming and cancelled; create, edit, cancel.

A leader posts and changes days of the communes they manage (the console's scope); an
operator any commune of the deployment, named by typing it. Past days are kept (the report
counts them) and can no longer be changed. Cancelling tells those who asked for a reminder,
in the same transaction (their messages wait in the outbox for the Worker).
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import update
from starlette.responses import RedirectResponse, Response

from bot.features.console.context import Forbidden, NotFound, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from bot.features.helpdays.reminders import cancel_day
from bot.features.helpdays.rules import MAX_AHEAD, MAX_NOTE, MAX_PLACE, local_today, remind_at
from bot.support.common import Turn
from content import load_content
from content.support_texts import SupportTexts
from intents.places import Commune
from storage.audit import AuditRepository
from storage.helpdays import HelpDayRepository
from storage.local_models import HelpDayReminderRow, HelpDayRow
from storage.masking import mask
from storage.vocabulary import TOPICS

__all__ = ["console_routes"]

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _texts(page: Page) -> SupportTexts:
    live = page.console.live
    return live.content.support if live is not None else load_content().support


def _covers(page: Page, commune_code: str, province_code: str) -> bool:
    scope = page.scope
    if scope.is_operator:
        return scope.provinces is None or province_code in scope.provinces
    return commune_code in scope.communes


async def _day(page: Page, raw: str) -> HelpDayRow:
    day = await HelpDayRepository(page.db).get(int(raw)) if raw.isdecimal() else None
    if day is None:
        raise NotFound
    if not _covers(page, day.commune_code, day.province_code):
        raise Forbidden
    return day


async def helpdays_page(
    page: Page, problems: list[str] | None = None, editing: HelpDayRow | None = None
) -> Response:
    scope = page.scope
    repo = HelpDayRepository(page.db)
    communes = None if scope.is_operator else sorted(scope.communes)
    provinces = sorted(scope.provinces) if scope.is_operator and scope.provinces else None
    rows = await repo.listed(communes, provinces)
    counts = {row.id: await repo.reminder_count(row.id) for row in rows}
    if editing is None and page.query("sua"):
        editing = await _day(page, page.query("sua"))
    today = local_today(page.now)
    return page.render(
        "helpdays.html",
        status=422 if problems else 200,
        title="Buổi hỗ trợ trực tiếp",
        coming=[r for r in rows if r.day >= today],
        past=[r for r in rows if r.day < today],
        counts=counts,
        communes=communes,
        topics=TOPICS,
        problems=problems or [],
        editing=editing,
        form=page.form if problems else {},
        today=today.isoformat(),
        saved=page.query("da-luu"),
        cancelled=page.query("da-huy"),
    )


def _commune(page: Page, typed: str) -> Commune | None:
    places = page.console.places
    commune = places.commune(typed)
    if commune is not None:
        return commune
    found = places.search(typed)
    return found.candidates[0] if found.status == "found" else None


async def save(page: Page) -> Response:
    form = page.form
    existing = await _day(page, form["id"]) if form.get("id") else None
    problems: list[str] = []
    typed = form.get("commune", "").strip()[:80]
    commune = _commune(page, typed) if typed else None
    if commune is None:
        problems.append(
            f"Xã/phường: không tìm thấy «{typed}»; anh/chị gõ kèm tên tỉnh."
            if typed
            else "Xã/phường: chưa chọn."
        )
    elif not _covers(page, commune.code, commune.province_code):
        raise Forbidden
    today = local_today(page.now)
    try:
        day: date | None = date.fromisoformat(form.get("day", ""))
    except ValueError:
        day = None
    if day is None or day < today or day > today + MAX_AHEAD:
        problems.append("Ngày: chọn một ngày từ hôm nay đến trong vòng một năm.")
    start, end = form.get("start", ""), form.get("end", "")
    if not _TIME.match(start):
        problems.append("Giờ bắt đầu: nhập theo dạng 07:30.")
    if end and (not _TIME.match(end) or end <= start):
        problems.append("Giờ kết thúc: nhập theo dạng 11:00, sau giờ bắt đầu (hoặc để trống).")
    place = form.get("place", "").strip()
    if not place or len(place) > MAX_PLACE:
        problems.append(f"Địa điểm: bắt buộc, tối đa {MAX_PLACE} ký tự.")
    topics = [t for t in TOPICS if form.get(f"topic-{t}")]  # one field each: a dict form
    if not topics:
        problems.append("Nội dung: chọn ít nhất một nội dung hỗ trợ.")
    note = form.get("note", "").strip()
    if len(note) > MAX_NOTE:
        problems.append(f"Lưu ý: tối đa {MAX_NOTE} ký tự.")
    if existing is not None and (existing.status != "planned" or existing.day < today):
        problems.append("Buổi này đã qua hoặc đã hủy nên không sửa được nữa.")
    if problems or commune is None or day is None:
        return await helpdays_page(page, problems, existing)
    row = existing or HelpDayRow(created_by=page.person.id, created_at=page.now, status="planned")
    moved = existing is not None and existing.day != day
    row.commune_code, row.province_code = commune.code, commune.province_code
    row.day, row.start_time, row.end_time = day, start, end
    row.place = mask(place, limit=MAX_PLACE).text
    row.topics, row.note = topics, mask(note, limit=MAX_NOTE).text
    row.remind_at, row.updated_at = remind_at(day), page.now
    if existing is None:
        await HelpDayRepository(page.db).add(row)
    else:
        await page.db.flush()
    if moved:  # a new date: those who asked are reminded again, for the new one
        await page.db.execute(
            update(HelpDayReminderRow)
            .where(HelpDayReminderRow.help_day_id == row.id)
            .values(sent_at=None)
        )
    action = "helpday_created" if existing is None else "helpday_changed"
    await AuditRepository(page.db).record(
        action, page.now, page.person.id, str(row.id), commune=row.commune_code
    )
    return RedirectResponse(f"{PREFIX}/helpdays?da-luu={row.id}", status_code=303)


async def cancel(page: Page) -> Response:
    day = await _day(page, page.form.get("id", ""))
    told = 0
    if day.status == "planned":
        turn = Turn.open(page.db, page.now)
        told = await cancel_day(turn, day, _texts(page), page.console.places, page.person.id)
    return RedirectResponse(f"{PREFIX}/helpdays?da-huy={told}", status_code=303)


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute(
            "/helpdays",
            helpdays_page,
            nav=NavItem("Buổi hỗ trợ trực tiếp", "/helpdays", order=55),
        ),
        ConsoleRoute("/helpdays/save", save, methods=("POST",)),
        ConsoleRoute("/helpdays/cancel", cancel, methods=("POST",)),
    ]
