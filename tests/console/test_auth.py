"""Signing in with a one-time link, sessions, CSRF and headers: every rule, over HTTP."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from bot.features.console.web import COOKIE
from bot.services import Bot
from intents.places import Places
from storage.console_models import ConsoleSessionRow, LoginLinkRow
from storage.models import AuditRow, PersonRow
from tests.console.conftest import LOCAL, World, console_app, csrf_of, new_link, sign_in
from tests.support.conftest import FakeClock

INVALID = "Liên kết không dùng được"


async def _count(bot: Bot, model: type, **where: object) -> int:
    async with bot.sessions() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int((await session.execute(query)).scalar_one())


async def test_a_link_signs_in_and_lands_on_the_overview(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    token = await new_link(bot, world.ids["operator"])
    landing = await client.get(f"/admin/login?token={token}")
    assert landing.status_code == 200
    assert token in landing.text  # the button posts it; the GET alone uses nothing
    signed = await client.post("/admin/login", data={"token": token})
    assert signed.status_code == 303
    assert signed.headers["location"] == "/admin/"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1 only
    overview = await client.get("/admin/")
    assert overview.status_code == 200
    assert "Tổng quan" in overview.text
    assert await _count(bot, AuditRow, action="console_login") == 1


async def test_the_cookie_is_secure_everywhere_but_local_http(
    bot: Bot, places: Places, world: World
) -> None:
    for base, secure in (
        ("https://bot.example.vn", True),
        ("http://bot.example.vn", True),  # behind a proxy that terminates TLS
        ("http://localhost:8080", False),
    ):
        transport = httpx.ASGITransport(app=console_app(bot, places))
        async with httpx.AsyncClient(transport=transport, base_url=base) as http:
            signed = await sign_in(http, bot, world.ids["operator"])
        assert signed.status_code == 303
        assert ("Secure" in signed.headers["set-cookie"]) is secure, base


async def test_the_database_keeps_only_digests(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    token = await new_link(bot, world.ids["operator"])
    await client.post("/admin/login", data={"token": token})
    session_id = client.cookies[COOKIE]
    async with bot.sessions() as session:
        links = list((await session.execute(select(LoginLinkRow))).scalars())
        sessions = list((await session.execute(select(ConsoleSessionRow))).scalars())
    assert len(token) >= 43
    assert len(session_id) >= 43
    assert [link.token_hash for link in links] != [token]
    assert all(token not in link.token_hash for link in links)
    assert all(row.id_hash != session_id for row in sessions)


async def test_a_link_works_once(client: httpx.AsyncClient, bot: Bot, world: World) -> None:
    token = await new_link(bot, world.ids["operator"])
    assert (await client.post("/admin/login", data={"token": token})).status_code == 303
    client.cookies.clear()
    again = await client.post("/admin/login", data={"token": token})
    assert again.status_code == 400
    assert INVALID in again.text
    assert COOKIE not in again.headers.get("set-cookie", "")


async def test_a_link_expires_after_ten_minutes(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    token = await new_link(bot, world.ids["operator"])
    clock.advance(minutes=10, seconds=1)
    late = await client.post("/admin/login", data={"token": token})
    assert late.status_code == 400


async def test_failures_look_alike_whatever_the_reason(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    used = await new_link(bot, world.ids["operator"])
    await client.post("/admin/login", data={"token": used})
    client.cookies.clear()
    expired = await new_link(bot, world.ids["operator"])
    clock.advance(minutes=11)
    bodies = []
    for token in ("made-up-token", used, expired, ""):
        response = await client.post("/admin/login", data={"token": token})
        assert response.status_code == 400
        bodies.append(response.text)
    assert len(set(bodies)) == 1
    assert await _count(bot, AuditRow, action="console_login_failed") == 4


async def test_a_link_of_someone_who_lost_the_role_is_refused(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    token = await new_link(bot, world.ids["leader"])
    async with bot.sessions.begin() as session:
        person = await session.get(PersonRow, world.ids["leader"])
        assert person is not None
        person.role = "volunteer"
    response = await client.post("/admin/login", data={"token": token})
    assert response.status_code == 400


async def test_guessing_is_locked_out_even_with_a_right_link(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    for attempt in range(5):
        wrong = await client.post("/admin/login", data={"token": f"guess-{attempt}"})
        assert wrong.status_code == 400
    token = await new_link(bot, world.ids["operator"])
    locked = await client.post("/admin/login", data={"token": token})
    assert locked.status_code == 429
    assert "thử lại sau 10 phút" in locked.text
    clock.advance(minutes=10, seconds=1)  # the oldest failure left the window; link too old
    fresh = await new_link(bot, world.ids["operator"])
    assert (await client.post("/admin/login", data={"token": fresh})).status_code == 303


async def test_signing_in_again_replaces_the_session(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    first = client.cookies[COOKIE]
    await sign_in(client, bot, world.ids["operator"])
    second = client.cookies[COOKIE]
    assert first != second
    assert await _count(bot, ConsoleSessionRow) == 1
    transport = httpx.ASGITransport(app=client._transport.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as other:
        other.cookies.set(COOKIE, first, path="/admin")
        assert (await other.get("/admin/")).status_code == 401


async def test_sessions_expire_when_idle_and_after_twelve_hours(
    client: httpx.AsyncClient, bot: Bot, world: World, clock: FakeClock
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    clock.advance(minutes=59)
    assert (await client.get("/admin/requests")).status_code == 200
    clock.advance(minutes=59)  # idle timer restarted by the last page
    assert (await client.get("/admin/requests")).status_code == 200
    clock.advance(minutes=61)
    idle = await client.get("/admin/requests")
    assert idle.status_code == 401
    assert "/dangnhap" in idle.text

    await sign_in(client, bot, world.ids["operator"])
    for _ in range(24):  # busy all day: still out after 12 hours
        clock.advance(minutes=30)
        status = (await client.get("/admin/requests")).status_code
    assert status == 401


async def test_log_out_ends_the_session_on_the_server(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    old = client.cookies[COOKIE]
    csrf = csrf_of((await client.get("/admin/")).text)
    out = await client.post("/admin/logout", data={"csrf": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/admin/logged-out"
    assert await _count(bot, ConsoleSessionRow) == 0
    client.cookies.set(COOKIE, old, path="/admin")
    assert (await client.get("/admin/")).status_code == 401


async def test_a_form_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    await sign_in(client, bot, world.ids["operator"])
    csrf = csrf_of((await client.get("/admin/")).text)
    for data, headers in (
        ({}, {}),
        ({"csrf": "not-the-token"}, {}),
        ({"csrf": csrf}, {"origin": "https://evil.example"}),  # right token, wrong site
    ):
        refused = await client.post("/admin/logout", data=data, headers=headers)
        assert refused.status_code == 403
        assert "Yêu cầu không hợp lệ" in refused.text
    assert await _count(bot, ConsoleSessionRow) == 1  # still signed in
    assert await _count(bot, AuditRow, action="console_denied") == 3


async def test_every_answer_carries_the_security_headers(
    client: httpx.AsyncClient, bot: Bot, world: World
) -> None:
    answers = [
        await client.get("/admin/"),  # 401
        await client.get("/admin/login?token=x"),
        await client.get("/admin/static/console.css"),
        await client.post("/admin/login", data={"token": "x"}),  # 400
    ]
    await sign_in(client, bot, world.ids["leader"])
    answers += [
        await client.get("/admin/"),
        await client.get("/admin/audit"),  # 403
        await client.get("/admin/requests/HTNONE"),  # 404
    ]
    assert {a.status_code for a in answers} == {200, 400, 401, 403, 404}
    for answer in answers:
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert all(
        a.headers.get("cache-control") == "no-store"
        for a in answers
        if a.headers["content-type"].startswith("text/html")
    )
