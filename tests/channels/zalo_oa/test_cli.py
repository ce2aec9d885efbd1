"""`trolyso zalo authorize`: the operator pastes the redirected URL, the tokens are stored."""

from __future__ import annotations

import argparse
import io
from datetime import timedelta
from types import SimpleNamespace
from typing import TextIO, cast
from urllib.parse import parse_qs, urlsplit

from bot.channels.cli import add_zalo_parser
from bot.channels.zalo_oa.cli import run_zalo
from bot.channels.zalo_oa.oauth import code_challenge
from bot.services import Bot, Services
from storage import session_factory
from storage.tokens import ChannelTokenRepository
from tests.channels.zalo_oa.conftest import APP_ID, APP_SECRET, FakeZalo, zalo_settings

REDIRECT = "https://bot.example.vn/zalo/callback"


class Operator:
    """Reads the consent URL the command printed and pastes back what the browser showed."""

    def __init__(self, out: io.StringIO, code: str, state: str | None = None) -> None:
        self.out = out
        self.code = code
        self.state = state

    def consent(self) -> dict[str, list[str]]:
        url = next(w for w in self.out.getvalue().split() if w.startswith("https://oauth."))
        return parse_qs(urlsplit(url).query)

    def readline(self) -> str:
        state = self.state or self.consent()["state"][0]
        return f"{REDIRECT}?code={self.code}&oa_id=388613280878808645&state={state}\n"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trolyso")
    add_zalo_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["zalo", *argv])


def _services(bot: Bot) -> Services:
    return cast(Services, SimpleNamespace(bot=bot))


async def test_authorize_stores_the_tokens_and_prints_none_of_them(
    bot: Bot, zalo: FakeZalo, engine, clock
):
    out = io.StringIO()
    operator = Operator(out, zalo.code)
    status = await run_zalo(
        _args("authorize", "--redirect-uri", REDIRECT),
        zalo_settings(),
        _services(bot),
        stdin=cast(TextIO, operator),
        stdout=out,
        transport=zalo.transport(),
    )
    assert status == 0, out.getvalue()
    consent = operator.consent()
    assert consent["app_id"] == [APP_ID]
    assert consent["redirect_uri"] == [REDIRECT]
    [form] = zalo.token_calls
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == zalo.code
    assert code_challenge(form["code_verifier"]) == consent["code_challenge"][0]
    assert zalo.token_secrets == [APP_SECRET]
    async with session_factory(engine)() as session:
        row = await ChannelTokenRepository(session).get("zalo_oa")
    assert row is not None
    assert (row.access_token, row.refresh_token) == ("access-1", "refresh-1")
    assert row.expires_at == clock.now + timedelta(seconds=90000)
    printed = out.getvalue()
    assert "access-1" not in printed
    assert "refresh-1" not in printed
    assert "Đã lưu quyền gửi tin Zalo OA" in printed


async def test_authorize_clears_an_earlier_failure(bot: Bot, zalo: FakeZalo, engine, clock):
    async with bot.sessions.begin() as session:
        tokens = ChannelTokenRepository(session)
        row = await tokens.save("zalo_oa", "old", "old-r", clock.now, clock.now)
        await tokens.mark_failed(row, "error -14014", clock.now)
    out = io.StringIO()
    status = await run_zalo(
        _args("authorize", "--redirect-uri", REDIRECT),
        zalo_settings(),
        _services(bot),
        stdin=cast(TextIO, Operator(out, zalo.code)),
        stdout=out,
        transport=zalo.transport(),
    )
    assert status == 0
    async with session_factory(engine)() as session:
        stored = await ChannelTokenRepository(session).get("zalo_oa")
    assert stored is not None
    assert (stored.access_token, stored.failed_at, stored.failure) == ("access-1", None, None)


async def test_an_answer_from_another_attempt_is_refused(bot: Bot, zalo: FakeZalo, engine):
    out = io.StringIO()
    status = await run_zalo(
        _args("authorize", "--redirect-uri", REDIRECT),
        zalo_settings(),
        _services(bot),
        stdin=cast(TextIO, Operator(out, zalo.code, state="someone-elses-state")),
        stdout=out,
        transport=zalo.transport(),
    )
    assert status == 1
    assert "state không khớp" in out.getvalue()
    assert zalo.token_calls == []
    async with session_factory(engine)() as session:
        assert await ChannelTokenRepository(session).get("zalo_oa") is None


async def test_a_refused_code_is_explained_and_nothing_is_stored(bot: Bot, zalo: FakeZalo, engine):
    out = io.StringIO()
    status = await run_zalo(
        _args("authorize", "--redirect-uri", REDIRECT),
        zalo_settings(),
        _services(bot),
        stdin=cast(TextIO, Operator(out, "an-expired-code")),
        stdout=out,
        transport=zalo.transport(),
    )
    assert status == 1
    assert "Zalo không cấp mã truy cập" in out.getvalue()
    async with session_factory(engine)() as session:
        assert await ChannelTokenRepository(session).get("zalo_oa") is None


async def test_missing_settings_are_named(bot: Bot):
    out = io.StringIO()
    settings = zalo_settings().model_copy(update={"zalo_app_secret": None})
    status = await run_zalo(
        _args("authorize", "--redirect-uri", REDIRECT),
        settings,
        _services(bot),
        stdin=io.StringIO(""),
        stdout=out,
    )
    assert status == 2
    assert "ZALO_APP_SECRET" in out.getvalue()
