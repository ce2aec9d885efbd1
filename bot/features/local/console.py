"""/admin/local: the local details of the communes a leader manages (an operator: any commune,
found by name, and each province's default). Saving is audited; a leader posting another
commune's details is refused (403) whatever the form says."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from bot.features.console.context import Forbidden, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from intents.places import Places
from storage.audit import AuditRepository
from storage.local import FIELDS, LocalRepository
from storage.local_models import LocalDetailsRow
from storage.masking import mask

__all__ = ["console_routes"]

LABELS = {
    "desk_address": "Địa chỉ Bộ phận một cửa",
    "opening_hours": "Giờ làm việc",
    "contact": "Liên hệ công khai của tổ",
    "note": "Lưu ý cho người dân",
}
MAX_FOUND = 10


def _place_label(places: Places, level: str, code: str) -> str | None:
    if level == "commune":
        commune = places.commune(code)
        return commune.label if commune else None
    province = places.province(code)
    return province.name if province else None


def _allowed(page: Page, level: str, code: str) -> bool:
    """The console's scope: a leader their communes; an operator the deployment's places."""
    places = page.console.places
    scope = page.scope
    if level == "province":
        return scope.is_operator and (scope.provinces is None or code in scope.provinces)
    commune = places.commune(code)
    if commune is None:
        return False
    if scope.is_operator:
        return scope.provinces is None or commune.province_code in scope.provinces
    return code in scope.communes


async def _places_shown(page: Page) -> list[tuple[str, str, str, LocalDetailsRow | None]]:
    """(level, code, label, row) of every place this person may edit on the page."""
    places = page.console.places
    repo = LocalRepository(page.db)
    wanted: list[tuple[str, str]] = []
    if page.scope.is_operator:
        provinces = page.scope.provinces or {p.code for p in places.provinces()}
        if len(provinces) <= 4:
            wanted += [("province", code) for code in sorted(provinces)]
        wanted += [(row.level, row.code) for row in await repo.rows()]
        typed = page.query("tim")
        if typed:
            province = places.find_province(typed)
            if province is not None:
                wanted.append(("province", province.code))
            found = places.search(typed)
            wanted += [("commune", c.code) for c in found.candidates[:MAX_FOUND]]
    else:
        wanted += [("commune", code) for code in sorted(page.scope.communes)]
    shown = []
    for level, code in dict.fromkeys(wanted):
        label = _place_label(places, level, code)
        if label is not None and _allowed(page, level, code):
            shown.append((level, code, label, await repo.row(level, code)))
    return shown


async def local_page(page: Page, errors: dict[str, list[str]] | None = None) -> Response:
    return page.render(
        "local.html",
        status=422 if errors else 200,
        title="Thông tin địa phương",
        places=await _places_shown(page),
        fields=FIELDS,
        labels=LABELS,
        errors=errors or {},
        values=page.form if errors else {},
        saved=page.query("da-luu"),
        operator=page.scope.is_operator,
        typed=page.query("tim"),
    )


async def save(page: Page) -> Response:
    level, code = page.form.get("level", ""), page.form.get("code", "")[:16]
    key = f"{level}:{code}"
    if (
        level not in ("commune", "province")
        or _place_label(page.console.places, level, code) is None
    ):
        return await local_page(page, {key: ["Không rõ xã/phường hoặc tỉnh cần lưu."]})
    if not _allowed(page, level, code):
        raise Forbidden
    problems = []
    values: dict[str, str] = {}
    for name, limit in FIELDS.items():
        value = page.form.get(name, "").strip()
        if len(value) > limit:
            problems.append(f"{LABELS[name]}: dài {len(value)} ký tự, tối đa {limit} ký tự.")
            continue
        values[name] = value if name == "contact" else mask(value, limit=limit).text
    if problems:
        return await local_page(page, {key: problems})
    places = page.console.places
    commune = places.commune(code) if level == "commune" else None
    province_code = commune.province_code if commune else code
    await LocalRepository(page.db).save(
        level, code, province_code, values, page.person.id, page.now
    )
    await AuditRepository(page.db).record("local_details", page.now, page.person.id, key)
    return RedirectResponse(f"{PREFIX}/local?da-luu={key}", status_code=303)


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute(
            "/local", local_page, nav=NavItem("Thông tin địa phương", "/local", order=60)
        ),
        ConsoleRoute("/local/save", save, methods=("POST",)),
    ]
