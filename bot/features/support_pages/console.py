"""The support pages of the console: waiting requests, volunteers on duty, the team, invites.

- /support: requests waiting for a volunteer and in progress, per commune, with the oldest
  wait; the requests that have waited longest; the volunteers on duty now.
- /support/team: the roster (skills, communes, duty, sessions in progress) and the team's
  invite codes, created and revoked with the same functions as the chat's /moi
  (bot.support.invites), audited the same way.

A team leader sees and acts on their own team (and the communes they serve); an operator on
every team of the deployment's provinces. Field-log upload lives with its feature
(bot.features.fieldlogs.console) and shares these pages' tabs.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

from bot.features.console.context import Forbidden, Page
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem
from bot.support.common import Turn, typed_number
from bot.support.invites import MAX_INVITE_DAYS, create_invite, revoke_invite
from storage.console_lists import requests_page
from storage.models import TeamRow
from storage.support_lists import members, waiting_by_commune
from storage.teams import TeamRepository
from storage.vocabulary import TOPICS

__all__ = ["console_routes", "teams_in_scope"]

PAGE_SIZE = 50
LONGEST = 20  # waiting requests listed, longest wait first
ON_DUTY = 100  # volunteers on duty listed


async def teams_in_scope(page: Page) -> list[TeamRow]:
    """The teams the viewer runs: a leader their own, an operator those of their provinces."""
    repo = TeamRepository(page.db)
    if not page.scope.is_operator:
        team = await repo.get(page.scope.team_id) if page.scope.team_id else None
        return [team] if team is not None else []
    return [team for team in await repo.all() if page.scope.covers_team(team)]


def _team_ids(page: Page, teams: list[TeamRow]) -> list[int] | None:
    """None (every team) for an operator of the whole deployment."""
    if page.scope.is_operator and page.scope.provinces is None:
        return None
    return [team.id for team in teams]


async def support(page: Page) -> Response:
    teams = await teams_in_scope(page)
    condition = page.scope.condition()
    loads = await waiting_by_commune(page.db, condition)
    _, longest = await requests_page(page.db, condition, statuses=("open",), limit=LONGEST)
    communes = None if page.scope.is_operator else sorted(page.scope.communes)
    on_duty_total, on_duty = await members(
        page.db,
        team_ids=_team_ids(page, teams),
        communes=communes,
        on_duty_only=True,
        limit=ON_DUTY,
    )
    return page.render(
        "support.html",
        title="Hỗ trợ",
        tab="support",
        loads=loads,
        waiting_total=sum(load.waiting for load in loads),
        active_total=sum(load.active for load in loads),
        longest=[(row, page.now - (row.first_created_at or row.created_at)) for row in longest],
        now=page.now,
        on_duty=on_duty,
        on_duty_total=on_duty_total,
        topics=TOPICS,
    )


async def team_page(page: Page, problem: str = "", status: int = 200) -> Response:
    teams = await teams_in_scope(page)
    chosen = page.query("to") if page.scope.is_operator else ""
    team_ids = _team_ids(page, teams)
    if chosen:
        team = next((t for t in teams if str(t.id) == chosen), None)
        if team is None:
            raise Forbidden
        team_ids = [team.id]
    number = page.page_number()
    total, roster = await members(
        page.db, team_ids=team_ids, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    invites = await TeamRepository(page.db).live_invites(team_ids, page.now)
    names = {team.id: team.name for team in teams}
    config = page.console.support
    return page.render(
        "team.html",
        status=status,
        title="Tổ tình nguyện",
        tab="team",
        teams=teams,
        chosen=chosen,
        roster=roster,
        total=total,
        number=number,
        pages=max(1, -(-total // PAGE_SIZE)),
        query=urlencode({"to": chosen}) + "&" if chosen else "",
        invites=[(invite, names.get(invite.team_id, "")) for invite in invites],
        topics=TOPICS,
        problem=problem,
        created=page.query("da-tao") == "1",
        revoked=page.query("da-thu-hoi") == "1",
        max_uses=config.max_invite_uses,
        max_days=MAX_INVITE_DAYS,
        default_days=config.invite_days,
        form=page.form,
    )


async def _form_team(page: Page) -> TeamRow | None:
    """The team a form acts on: a leader's own; the one an operator chose, within scope."""
    teams = await teams_in_scope(page)
    if not page.scope.is_operator:
        return teams[0] if teams else None
    wanted = page.form.get("to", "").strip()
    team = next((t for t in teams if str(t.id) == wanted), None)
    if team is None and wanted:
        known = await TeamRepository(page.db).get(int(wanted)) if wanted.isdecimal() else None
        if known is not None:
            raise Forbidden  # a team outside the operator's provinces
    return team


async def invite_create(page: Page) -> Response:
    team = await _form_team(page)
    config = page.console.support
    if team is None:
        message = (
            "Vui lòng chọn tổ cần tạo mã mời."
            if page.scope.is_operator
            else "Tài khoản của anh/chị chưa thuộc tổ nào nên chưa tạo được mã mời."
        )
        return await team_page(page, message, 422)
    uses = typed_number(page.form.get("so-lan", ""))
    days = typed_number(page.form.get("so-ngay", ""))
    turn = Turn.open(page.db, page.now)
    invite = (
        await create_invite(turn, page.person, team, uses, days, config)
        if uses is not None and days is not None
        else None
    )
    if invite is None:
        message = (
            f"Số lần dùng phải là số nguyên từ 1 đến {config.max_invite_uses}, số ngày hiệu lực "
            f"từ 1 đến {MAX_INVITE_DAYS}."
        )
        return await team_page(page, message, 422)
    return RedirectResponse(f"{PREFIX}/support/team?da-tao=1#ma-moi", status_code=303)


async def invite_revoke(page: Page) -> Response:
    repo = TeamRepository(page.db)
    invite = await repo.invite(page.form.get("ma", "")[:16])
    team = await repo.get(invite.team_id) if invite is not None else None
    if invite is None or team is None:
        return await team_page(page, "Không tìm thấy mã mời này; có thể đã bị xóa.", 422)
    if not page.scope.covers_team(team):
        raise Forbidden
    await revoke_invite(Turn.open(page.db, page.now), page.person, invite)
    return RedirectResponse(f"{PREFIX}/support/team?da-thu-hoi=1#ma-moi", status_code=303)


def console_routes() -> list[ConsoleRoute]:
    return [
        ConsoleRoute("/support", support, nav=NavItem("Hỗ trợ & tổ", "/support", order=30)),
        ConsoleRoute("/support/team", team_page),
        ConsoleRoute("/support/invites", invite_create, methods=("POST",)),
        ConsoleRoute("/support/invites/revoke", invite_revoke, methods=("POST",)),
    ]
