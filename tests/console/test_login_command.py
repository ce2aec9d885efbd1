"""/dangnhap in the chat and `trolyso console login-link` in a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from bot.dialogue import Dialogue
from bot.features.console.cli import add_console_parser, run_console_command
from bot.features.console.links import ChatLogin
from bot.messages import ConversationKey, IncomingMessage
from bot.services import Bot
from bot.settings import Settings
from bot.support.common import SupportConfig, Toolkit
from content import Content
from intents import Matcher
from intents.places import Places
from storage import session_factory
from storage.migrate import upgrade
from storage.models import AuditRow, IdentityRow, PersonRow
from tests.console.conftest import LOCAL, World, console_app


def _bot(bot: Bot, content: Content, matcher: Matcher, places: Places, base: str) -> Bot:
    kit = Toolkit(content.support, places, SupportConfig())
    assistant = Assistant(
        Dialogue(content, matcher), kit, login_maker=ChatLogin(base, content.support)
    )
    return Bot(assistant, bot.sessions, bot.clock)


async def _chat_as(bot: Bot, world: World, name: str, user: str) -> None:
    async with bot.sessions.begin() as session:
        session.add(IdentityRow(person_id=world.ids[name], channel="console", external_id=user))


async def _say(bot: Bot, user: str, text: str) -> str:
    replies = await bot.handle(IncomingMessage(ConversationKey("console", user), text=text))
    return "\n".join(reply.text for reply in replies)


@pytest.mark.parametrize("name", ["citizen", "volunteer"])
async def test_citizens_and_volunteers_get_a_polite_no(
    name: str, bot: Bot, content: Content, matcher: Matcher, places: Places, world: World
) -> None:
    chat = _bot(bot, content, matcher, places, "https://bot.example.vn")
    await _chat_as(chat, world, name, f"{name}-chat")
    text = await _say(chat, f"{name}-chat", "/dangnhap")
    assert text.startswith("Xin lỗi anh/chị, trang quản trị chỉ dành cho tổ trưởng")
    assert "http" not in text


async def test_a_leader_gets_a_link_that_signs_in(
    bot: Bot, content: Content, matcher: Matcher, places: Places, world: World
) -> None:
    chat = _bot(bot, content, matcher, places, LOCAL + "/")
    await _chat_as(chat, world, "leader", "leader-chat")
    text = await _say(chat, "leader-chat", "/dangnhap")
    assert "một lần, trong 10 phút" in text
    url = next(word for word in text.split() if word.startswith(LOCAL))
    assert url.startswith(f"{LOCAL}/admin/login?token=")
    transport = httpx.ASGITransport(app=console_app(chat, places))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as http:
        token = url.split("token=")[1]
        assert (await http.post("/admin/login", data={"token": token})).status_code == 303
        assert (await http.get("/admin/")).status_code == 200
    async with chat.sessions() as session:
        actions = list((await session.execute(select(AuditRow.action))).scalars())
    assert actions.count("console_link") == 1
    assert actions.count("console_login") == 1


async def test_without_a_public_address_the_console_is_unavailable(
    bot: Bot, content: Content, matcher: Matcher, places: Places, world: World
) -> None:
    chat = _bot(bot, content, matcher, places, "")
    await _chat_as(chat, world, "operator", "op-chat")
    text = await _say(chat, "op-chat", "/dangnhap")
    assert "chưa được bật" in text


def _settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings(data_dir=tmp_path, **extra)  # type: ignore[arg-type]


def _run(settings: Settings, *argv: str) -> tuple[int, str, str]:
    import argparse

    parser = argparse.ArgumentParser()
    add_console_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    status = run_console_command(settings, parser.parse_args(["console", *argv]), out, err)
    return status, out.getvalue(), err.getvalue()


async def _person(settings: Settings, handle: str, role: str) -> None:
    from storage import create_engine

    engine = create_engine(settings.resolved_database_url())
    async with session_factory(engine).begin() as session:
        session.add(PersonRow(handle=handle, role=role))
    await engine.dispose()


def test_the_cli_prints_a_link_for_the_first_operator(tmp_path: Path) -> None:
    settings = _settings(tmp_path, operators="telegram:4242", public_url="https://bot.example.vn")
    status, out, err = _run(settings, "login-link", "--as", "telegram:4242")
    assert status == 0, err
    assert out.startswith("https://bot.example.vn/admin/login?token=")
    status, out, err = _run(settings, "login-link", "--as", "telegram:9999")  # not an operator
    assert status == 1
    assert out == ""
    assert "nobody" in err


def test_the_cli_refuses_a_volunteer(tmp_path: Path) -> None:
    import asyncio

    settings = _settings(tmp_path)
    upgrade(settings.resolved_database_url())
    asyncio.run(_person(settings, "VOLUNT", "volunteer"))
    asyncio.run(_person(settings, "LEADER", "leader"))
    status, out, err = _run(settings, "login-link", "--as", "volunt")
    assert status == 1
    assert "only team leaders and operators" in err
    status, out, err = _run(settings, "login-link", "--as", "LEADER", "--base-url", "http://x:1")
    assert status == 0
    assert out.startswith("http://x:1/admin/login?token=")
