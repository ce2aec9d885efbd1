"""The support pages: waiting requests, volunteers on duty, roster, invite codes.

The real ASGI console on SQLite and PostgreSQL; a leader of commune A's team, the leader of
commune B's team, and an operator (tests/console/conftest.py).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.services import Bot
from storage.models import AuditRow, InviteRow, TeamRow, VolunteerCommuneRow, VolunteerRow
from storage.teams import TeamRepository
from tests.console.conftest import World, csrf_of, sign_in
from tests.support.conftest import FakeClock


async def _team_id(bot: Bot, name: str) -> int:
    async with bot.sessions() as session:
        return int(
            (await session.execute(select(TeamRow.id).where(TeamRow.name == name))).scalar_one()
        )


async def _audit(bot: Bot, action: str) -> list[AuditRow]:
    async with bot.sessions() as session:
        query = select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)
        return list((await session.execute(query)).scalars())


async def _invites(bot: Bot) -> list[InviteRow]:
    async with bot.sessions() as session:
        return list((await session.execute(select(InviteRow).order_by(InviteRow.code))).scalars())


async def test_waiting_requests_per_commune_in_scope(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    clock.advance(hours=3, minutes=5)
    await sign_in(client, bot, world.ids["leader"])
    page = await client.get("/admin/support")
    assert page.status_code == 200
    assert "HT-AAAA" in page.text
    assert "HT-BBBB" not in page.text
    assert world.commune_a.label in page.text
    assert world.commune_b.label not in page.text
    assert "3 giờ 5 phút" in page.text  # how long the request has waited
    await sign_in(client, bot, world.ids["operator"])
    everything = await client.get("/admin/support")
    assert "HT-AAAA" in everything.text
    assert "HT-BBBB" in everything.text


async def test_volunteers_on_duty_and_roster(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    async with bot.sessions.begin() as session:
        session.add(
            VolunteerRow(
                person_id=world.ids["volunteer"], skills=["vneid"], on_duty=True, max_sessions=3
            )
        )
        session.add(
            VolunteerCommuneRow(
                person_id=world.ids["volunteer"], commune_code=world.commune_a.code
            )
        )
    await sign_in(client, bot, world.ids["leader"])
    support = (await client.get("/admin/support")).text
    assert "Người volunteer" in support
    assert "0/3" in support  # no session in progress, at most three
    team = (await client.get("/admin/support/team")).text
    assert "Người volunteer" in team
    assert "Người leader" in team
    assert "Người other_leader" not in team  # another team
    assert "VNeID" in team
    await sign_in(client, bot, world.ids["other_leader"])
    assert "Người volunteer" not in (await client.get("/admin/support")).text
    assert "Người volunteer" not in (await client.get("/admin/support/team")).text
    await sign_in(client, bot, world.ids["operator"])
    team_b = await _team_id(bot, "Tổ B")
    only_b = (await client.get(f"/admin/support/team?to={team_b}")).text
    assert "Người other_leader" in only_b
    assert "Người volunteer" not in only_b


async def test_a_leader_creates_and_revokes_an_invite_audited(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    csrf = csrf_of((await client.get("/admin/support/team")).text)
    team_b = await _team_id(bot, "Tổ B")
    created = await client.post(
        "/admin/support/invites",
        data={"csrf": csrf, "so-lan": "3", "so-ngay": "5", "to": str(team_b)},
    )
    assert created.status_code == 303
    [invite] = await _invites(bot)
    # A leader's code is always for their own team, whatever the form says.
    assert invite.team_id == await _team_id(bot, "Tổ A")
    assert (invite.max_uses, invite.expires_at) == (3, clock.now + timedelta(days=5))
    [entry] = await _audit(bot, "invite_created")
    assert (entry.actor_id, entry.target, entry.detail["uses"]) == (
        world.ids["leader"],
        invite.code,
        3,
    )
    listed = (await client.get("/admin/support/team?da-tao=1")).text
    assert invite.code in listed
    assert "Đã tạo mã mời mới" in listed

    revoked = await client.post(
        "/admin/support/invites/revoke", data={"csrf": csrf, "ma": invite.code}
    )
    assert revoked.status_code == 303
    [invite] = await _invites(bot)
    assert invite.revoked_at == clock.now
    [entry] = await _audit(bot, "invite_revoked")
    assert (entry.actor_id, entry.target) == (world.ids["leader"], invite.code)
    assert invite.code not in (await client.get("/admin/support/team")).text
    async with bot.sessions.begin() as session:  # /thamgia with it is refused now
        teams = TeamRepository(session)
        again = await teams.invite(invite.code)
        assert again is not None
        assert not await teams.use_invite(again, clock.now)


async def test_invite_bounds_are_the_chats(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    csrf = csrf_of((await client.get("/admin/support/team")).text)
    for uses, days in (("0", "5"), ("51", "5"), ("2", "91"), ("abc", "5"), ("-1", "5")):
        response = await client.post(
            "/admin/support/invites", data={"csrf": csrf, "so-lan": uses, "so-ngay": days}
        )
        assert response.status_code == 422, (uses, days)
        assert "Số lần dùng phải là số nguyên từ 1 đến 50" in response.text
    assert await _invites(bot) == []


async def test_another_team_cannot_revoke_and_operators_choose_the_team(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    csrf = csrf_of((await client.get("/admin/support/team")).text)
    await client.post("/admin/support/invites", data={"csrf": csrf, "so-lan": "1", "so-ngay": "7"})
    [invite] = await _invites(bot)
    await sign_in(client, bot, world.ids["other_leader"])
    csrf = csrf_of((await client.get("/admin/support/team")).text)
    assert invite.code not in (await client.get("/admin/support/team")).text
    refused = await client.post(
        "/admin/support/invites/revoke", data={"csrf": csrf, "ma": invite.code}
    )
    assert refused.status_code == 403
    [invite] = await _invites(bot)
    assert invite.revoked_at is None
    assert [r.actor_id for r in await _audit(bot, "console_denied")] == [world.ids["other_leader"]]

    await sign_in(client, bot, world.ids["operator"])
    csrf = csrf_of((await client.get("/admin/support/team")).text)
    no_team = await client.post(
        "/admin/support/invites", data={"csrf": csrf, "so-lan": "2", "so-ngay": "7"}
    )
    assert no_team.status_code == 422
    assert "Vui lòng chọn tổ" in no_team.text
    team_b = await _team_id(bot, "Tổ B")
    made = await client.post(
        "/admin/support/invites",
        data={"csrf": csrf, "so-lan": "2", "so-ngay": "7", "to": str(team_b)},
    )
    assert made.status_code == 303
    assert sorted(i.team_id for i in await _invites(bot)) == sorted(
        [await _team_id(bot, "Tổ A"), team_b]
    )


async def test_a_form_without_its_csrf_token_changes_nothing(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["leader"])
    response = await client.post("/admin/support/invites", data={"so-lan": "3", "so-ngay": "5"})
    assert response.status_code == 403
    assert "Yêu cầu không hợp lệ" in response.text
    wrong = await client.post(
        "/admin/support/invites", data={"csrf": "x" * 43, "so-lan": "3", "so-ngay": "5"}
    )
    assert wrong.status_code == 403
    assert await _invites(bot) == []
    assert [r.detail["reason"] for r in await _audit(bot, "console_denied")] == ["csrf", "csrf"]
