"""The OA token keeper: one renewal however many tasks or workers ask, and a loud stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.zalo_oa.client import OAClient, TokenGrant
from bot.channels.zalo_oa.runtime import ZaloOARuntime
from bot.channels.zalo_oa.tokens import TokenKeeper, TokenUnavailable
from bot.delivery import SendError
from bot.messages import Reply
from bot.services import Bot
from storage import session_factory
from storage.models import ChannelTokenRow, OutboxRow
from storage.tokens import ChannelTokenRepository
from tests.channels.zalo_oa.conftest import APP_ID, APP_SECRET, FakeZalo, ZaloPerson, keeper_of

USER = "1111222233334444"


class Alerts:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def __call__(self, reason: str) -> None:
        self.reasons.append(reason)


def _worker(bot: Bot, zalo: FakeZalo, alerts: Alerts | None = None) -> TokenKeeper:
    """A keeper as another process would have it: its own client, lock and cache."""
    client = OAClient(APP_ID, APP_SECRET, transport=zalo.transport())
    return TokenKeeper(bot.sessions, client, bot.clock, alerts or Alerts())


async def _row(engine: AsyncEngine) -> ChannelTokenRow:
    async with session_factory(engine)() as session:
        row = await ChannelTokenRepository(session).get("zalo_oa")
    assert row is not None
    return row


async def _stored_expiring_in(bot: Bot, zalo: FakeZalo, left: timedelta) -> TokenGrant:
    grant = zalo.issue()
    async with bot.sessions.begin() as session:
        await ChannelTokenRepository(session).save(
            "zalo_oa", grant.access_token, grant.refresh_token, bot.clock() + left, bot.clock()
        )
    return grant


async def test_two_tasks_racing_make_exactly_one_refresh_call(bot: Bot, zalo: FakeZalo):
    await _stored_expiring_in(bot, zalo, timedelta(minutes=20))
    zalo.refresh_delay = 0.05
    keeper = _worker(bot, zalo)
    tokens = await asyncio.gather(keeper.access_token(), keeper.access_token())
    assert zalo.refresh_calls == 1
    assert list(tokens) == ["access-2", "access-2"]


async def test_two_workers_racing_make_exactly_one_refresh_call(
    bot: Bot, zalo: FakeZalo, engine: AsyncEngine
):
    """Separate keepers share only the database: the row lock and the re-check do the work."""
    await _stored_expiring_in(bot, zalo, timedelta(minutes=20))
    zalo.refresh_delay = 0.05
    alerts = Alerts()
    first, second = _worker(bot, zalo, alerts), _worker(bot, zalo, alerts)
    tokens = await asyncio.gather(first.access_token(), second.access_token())
    assert zalo.refresh_calls == 1  # a second call would spend a used token and be refused
    assert list(tokens) == ["access-2", "access-2"]
    assert alerts.reasons == []
    row = await _row(engine)
    assert (row.access_token, row.refresh_token, row.failed_at) == ("access-2", "refresh-2", None)


async def test_refresh_is_proactive_when_less_than_an_hour_is_left(
    bot: Bot, zalo: FakeZalo, clock, engine: AsyncEngine
):
    await _stored_expiring_in(bot, zalo, timedelta(hours=2))
    keeper = _worker(bot, zalo)
    assert await keeper.access_token() == "access-1"
    assert zalo.refresh_calls == 0
    clock.advance(minutes=61)  # 59 minutes left
    assert await keeper.access_token() == "access-2"
    assert zalo.refresh_calls == 1
    assert zalo.token_calls[0] == {
        "app_id": APP_ID,
        "refresh_token": "refresh-1",
        "grant_type": "refresh_token",
    }
    assert zalo.token_secrets == [APP_SECRET]
    row = await _row(engine)
    # expires_in came as the quoted string "90000": 25 hours from now.
    assert row.expires_at == clock.now + timedelta(seconds=90000)


async def test_a_token_zalo_rejects_is_renewed_once_and_the_send_retried(
    runtime: ZaloOARuntime, zalo: FakeZalo, clock
):
    clock.advance(hours=3)
    zalo.valid_access.clear()  # revoked on Zalo's side although our expiry says 22 h
    message_id = await runtime.sender.send(USER, Reply("Xin chào"))
    assert message_id == "zmsg-1"
    assert zalo.refresh_calls == 1
    assert zalo.send_calls == 2
    assert [s.access_token for s in zalo.sent] == ["access-2"]


async def test_a_fresh_token_refused_again_is_not_renewed_again(
    runtime: ZaloOARuntime, zalo: FakeZalo, clock
):
    """-216 also means "the app lacks a permission": renewing cannot cure that."""
    clock.advance(hours=3)
    refused = {"error": -216, "message": "Access token is invalid"}
    for attempt in range(3):
        # The first attempt renews and retries (two refusals); later ones stop at the first.
        zalo.send_answers.extend([refused] * (2 if attempt == 0 else 1))
        with pytest.raises(SendError) as failed:
            await runtime.sender.send(USER, Reply("Xin chào"))
        assert failed.value.final is False
        clock.advance(minutes=2)
    assert zalo.refresh_calls == 1
    assert not zalo.send_answers
    clock.advance(minutes=10)  # long after the renewal: a rejection may mean expiry again
    zalo.valid_access.clear()
    await runtime.sender.send(USER, Reply("Xin chào"))
    assert zalo.refresh_calls == 2


async def test_a_rejection_after_another_worker_renewed_uses_the_new_token(
    runtime: ZaloOARuntime, bot: Bot, zalo: FakeZalo, clock
):
    clock.advance(hours=3)
    keeper = keeper_of(runtime)
    await keeper.access_token()  # cached: access-1
    other = _worker(bot, zalo)
    await other.refresh_after_rejection("access-1")  # another process renewed
    zalo.valid_access.discard("access-1")
    assert zalo.refresh_calls == 1
    await runtime.sender.send(USER, Reply("Xin chào"))
    assert zalo.refresh_calls == 1  # the row already held a new token: no second renewal
    assert [s.access_token for s in zalo.sent] == ["access-2"]


async def test_a_refused_renewal_alerts_operators_once_and_stops_retrying(
    runtime: ZaloOARuntime, bot: Bot, zalo: FakeZalo, clock, people, engine: AsyncEngine
):
    operator = people("operator")  # configured operator (console:operator)
    await operator.say("/start")
    citizen = ZaloPerson(None, runtime, zalo, clock, USER)  # type: ignore[arg-type]
    async with bot.sessions.begin() as session:
        from storage.outbox import OutboxRepository

        outbox = OutboxRepository(session)
        for text in ("một", "hai"):
            await outbox.add("zalo", USER, text, now=clock.now)
    clock.advance(hours=3)
    zalo.valid_access.clear()
    zalo.grant_answers.append(
        {"error": -14014, "error_name": "invalid_grant", "error_description": "expired"}
    )
    assert await runtime.dispatcher.flush() == 0
    # The maintenance loop keeps flushing for two hours; nobody hammers Zalo meanwhile.
    # (After six attempts, about 2.5 hours, the dispatcher gives a message up.)
    for _ in range(4):
        clock.advance(minutes=31)
        assert await runtime.dispatcher.flush() == 0
    assert zalo.refresh_calls == 1
    row = await _row(engine)
    assert row.failed_at is not None
    assert "-14014" in (row.failure or "")
    alerts = [r.text for r in await operator.inbox()]
    assert len(alerts) == 1
    assert "Zalo OA" in alerts[0]
    assert "-14014" in alerts[0]
    async with session_factory(engine)() as session:
        rows = list((await session.execute(select(OutboxRow).order_by(OutboxRow.id))).scalars())
    waiting = [r for r in rows if r.channel == "zalo"]
    assert all(r.status == "pending" for r in waiting)  # kept for after the fix

    # The operator authorizes again: the failure is cleared and the messages go out.
    await keeper_of(runtime).store(zalo.issue())
    assert (await _row(engine)).failed_at is None
    clock.advance(minutes=31)
    assert await runtime.dispatcher.flush() == 2
    assert citizen.new_texts() == ["một", "hai"]
    assert len(await operator.inbox()) == 0


async def test_a_second_worker_meeting_the_failure_does_not_alert_again(bot: Bot, zalo: FakeZalo):
    await _stored_expiring_in(bot, zalo, timedelta(minutes=10))
    zalo.refresh_token = "someone-else-spent-it"
    alerts = Alerts()
    for keeper in (_worker(bot, zalo, alerts), _worker(bot, zalo, alerts)):
        with pytest.raises(TokenUnavailable) as stopped:
            await keeper.access_token()
        assert stopped.value.retry_after >= 600  # waits for the operator, not seconds
    assert zalo.refresh_calls == 1
    assert alerts.reasons == ["Zalo từ chối mã làm mới, mã lỗi -14014"]


async def test_zalo_unreachable_during_renewal_is_not_a_failure(
    bot: Bot, zalo: FakeZalo, engine: AsyncEngine
):
    await _stored_expiring_in(bot, zalo, timedelta(minutes=10))

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unreachable", request=request)

    alerts = Alerts()
    client = OAClient(APP_ID, APP_SECRET, transport=httpx.MockTransport(down))
    keeper = TokenKeeper(bot.sessions, client, bot.clock, alerts)
    # The old token still has ten minutes: keep using it rather than stop sending.
    assert await keeper.access_token() == "access-1"
    assert (await _row(engine)).failed_at is None
    assert alerts.reasons == []


async def test_no_token_yet_means_sends_wait_for_the_operator(bot: Bot, zalo: FakeZalo):
    keeper = _worker(bot, zalo)
    with pytest.raises(TokenUnavailable, match="not authorized"):
        await keeper.access_token()
    assert zalo.token_calls == []
