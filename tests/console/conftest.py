"""A console world: two teams in two communes, one person of every role, a request in each.

The console runs as the real ASGI application (httpx.ASGITransport) on the storage suite's
databases (SQLite always, PostgreSQL when configured); only the clock is fake.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.preview import channel_previewer
from bot.features.console.links import issue_link
from bot.features.console.web import Console, console_mount
from bot.services import Bot
from bot.support.common import Turn
from intents.places import Commune, Places
from storage.models import HelpRequestRow, PersonRow, TeamRow
from tests.storage.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.support.conftest import (  # noqa: F401  (fixtures)
    FakeClock,
    bot,
    clock,
    config,
    people,
)

LOCAL = "http://127.0.0.1"
ROLES = ("volunteer", "leader", "other_leader", "operator", "citizen")


@dataclass
class World:
    """Who and what the tests sign in as and look at."""

    handles: dict[str, str]
    ids: dict[str, int]
    commune_a: Commune
    commune_b: Commune
    ref_a: str
    ref_b: str


def two_communes(places: Places) -> tuple[Commune, Commune]:
    province = places.provinces()[0]
    first, second = places.communes_in(province.code)[:2]
    return first, second


@pytest.fixture
async def world(bot: Bot, places: Places, clock: FakeClock) -> World:  # noqa: F811
    commune_a, commune_b = two_communes(places)
    async with bot.sessions.begin() as session:
        team_a = TeamRow(name="Tổ A", commune_code=commune_a.code, province_code="x")
        team_b = TeamRow(name="Tổ B", commune_code=commune_b.code, province_code="x")
        team_a.province_code = commune_a.province_code
        team_b.province_code = commune_b.province_code
        session.add_all([team_a, team_b])
        await session.flush()
        roles = {
            "volunteer": ("volunteer", team_a.id),
            "leader": ("leader", team_a.id),
            "other_leader": ("leader", team_b.id),
            "operator": ("operator", None),
            "citizen": ("citizen", None),
        }
        rows = {}
        for number, (name, (role, team_id)) in enumerate(roles.items()):
            row = PersonRow(
                handle=f"H{number}AAAA", role=role, team_id=team_id, display_name=f"Người {name}"
            )
            session.add(row)
            rows[name] = row
        await session.flush()
        refs = []
        for code, team, ref in ((commune_a, team_a, "HTAAAA"), (commune_b, team_b, "HTBBBB")):
            session.add(
                HelpRequestRow(
                    ref=ref,
                    citizen_id=rows["citizen"].id,
                    citizen_channel="console",
                    pseudonym="Cô Lan",
                    team_id=team.id,
                    topic="vneid",
                    commune_code=code.code,
                    province_code=code.province_code,
                    status="open",
                    created_at=clock.now,
                    last_activity_at=clock.now,
                )
            )
            refs.append(ref)
    return World(
        handles={name: row.handle for name, row in rows.items()},
        ids={name: row.id for name, row in rows.items()},
        commune_a=commune_a,
        commune_b=commune_b,
        ref_a=refs[0],
        ref_b=refs[1],
    )


def console_app(bot: Bot, places: Places, *, limited: bool = False) -> Starlette:  # noqa: F811
    console = Console(
        bot.sessions,
        places,
        bot.clock,
        limited=limited,
        live=bot.live,
        preview=channel_previewer(bot.assistant.t),
    )
    return Starlette(routes=[console_mount(console)])


@pytest.fixture
async def client(bot: Bot, places: Places) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    transport = httpx.ASGITransport(app=console_app(bot, places))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        yield http


async def new_link(bot: Bot, person_id: int) -> str:  # noqa: F811
    """A sign-in link, as /dangnhap makes it; returns the token."""
    async with bot.sessions.begin() as session:
        turn = Turn.open(session, bot.clock())
        person = await turn.people.get(person_id)
        assert person is not None
        url = await issue_link(turn, person, LOCAL, by="test")
    return url.split("token=", 1)[1]


async def sign_in(http: httpx.AsyncClient, bot: Bot, person_id: int) -> httpx.Response:  # noqa: F811
    token = await new_link(bot, person_id)
    return await http.post("/admin/login", data={"token": token})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)
