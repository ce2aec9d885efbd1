"""`POST /zalo/webhook` through the real ASGI application: signature, inbox, events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.zalo_oa.convert import delivery_key
from bot.channels.zalo_oa.runtime import MAX_BODY_BYTES, ZaloOARuntime
from bot.channels.zalo_oa.signature import sign
from bot.worker import Worker
from content import Content
from storage import session_factory
from storage.inbox import InboxRepository
from storage.models import InboundEventRow
from tests.channels.conftest import ChunkedBody, FakeClock
from tests.channels.zalo_oa.conftest import OA_SECRET, FakeZalo, ZaloPerson, millis, signed

USER = "2468458835296197922"


async def _inbox(engine: AsyncEngine) -> list[InboundEventRow]:
    async with session_factory(engine)() as session:
        return list((await session.execute(select(InboundEventRow))).scalars())


async def _count(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int((await session.execute(select(func.count(InboundEventRow.id)))).scalar_one())


@pytest.fixture
def citizen(zalo_people: Callable[[str], ZaloPerson]) -> ZaloPerson:
    return zalo_people(USER)


async def test_a_question_without_diacritics_is_answered(
    citizen: ZaloPerson, zalo: FakeZalo, content: Content, engine: AsyncEngine
):
    texts = await citizen.say("cach cai vneid")
    answer = content.intents["vneid.activate"].answer
    assert texts
    assert answer.splitlines()[0][:60] in "\n".join(texts)
    assert all(s.user_id == USER for s in zalo.sent)
    assert all(s.access_token == "access-1" for s in zalo.sent)
    [row] = await _inbox(engine)
    assert row.handled_at is not None  # settled in the transaction that answered


async def test_a_good_signature_with_mac_prefix_is_accepted(
    citizen: ZaloPerson, http: httpx.AsyncClient, zalo: FakeZalo, engine: AsyncEngine
):
    body, headers = signed(citizen.event("user_send_text", text="xin chao"))
    headers["X-ZEvent-Signature"] = "mac=" + headers["X-ZEvent-Signature"]
    response = await http.post("/zalo/webhook", content=body, headers=headers)
    await citizen.runtime.drain()
    assert response.status_code == 200
    assert await _count(engine) == 1
    assert zalo.texts_to(USER)


@pytest.mark.parametrize(
    "forge",
    ["missing", "wrong secret", "body changed", "not hex", "not ascii", "stale", "future"],
)
async def test_a_bad_or_old_signature_is_refused_and_nothing_is_stored(
    forge: str,
    citizen: ZaloPerson,
    http: httpx.AsyncClient,
    zalo: FakeZalo,
    clock,
    engine: AsyncEngine,
):
    payload = citizen.event("user_send_text", text="xin chao")
    if forge == "stale":
        payload["timestamp"] = str(int((clock.now - timedelta(minutes=6)).timestamp() * 1000))
    if forge == "future":
        payload["timestamp"] = str(int((clock.now + timedelta(minutes=6)).timestamp() * 1000))
    body, headers = signed(payload, "another-secret" if forge == "wrong secret" else OA_SECRET)
    if forge == "missing":
        del headers["X-ZEvent-Signature"]
    if forge == "body changed":
        body = body.replace(b"xin chao", b"xin chao!")
    sent: dict[str, Any] = dict(headers)
    if forge == "not hex":
        sent["X-ZEvent-Signature"] = "mac=" + "zz" * 32
    if forge == "not ascii":
        sent["X-ZEvent-Signature"] = "mac=chữ ký giả".encode()
    response = await http.post("/zalo/webhook", content=body, headers=sent)
    await citizen.runtime.drain()
    assert response.status_code == 401
    assert await _count(engine) == 0
    assert zalo.send_calls == 0


async def test_a_replayed_delivery_inside_the_window_is_deduplicated_not_refused(
    citizen: ZaloPerson, clock, zalo: FakeZalo, engine: AsyncEngine
):
    payload = citizen.event("user_send_text", text="cach cai vneid")
    await citizen.deliver(payload)
    sends = zalo.send_calls
    clock.advance(minutes=4)  # Zalo retries within the window: same signature, same msg_id
    assert (await citizen.post(payload)).status_code == 200
    assert zalo.send_calls == sends
    assert await _count(engine) == 1
    clock.advance(minutes=2)  # an attacker replays it later: refused outright
    assert (await citizen.post(payload)).status_code == 401


async def test_the_same_msg_id_twice_gets_one_reply(
    citizen: ZaloPerson, http: httpx.AsyncClient, zalo: FakeZalo, engine: AsyncEngine
):
    payload = citizen.event("user_send_text", text="cach cai vneid")
    body, headers = signed(payload)
    first = await http.post("/zalo/webhook", content=body, headers=headers)
    second = await http.post("/zalo/webhook", content=body, headers=headers)
    await citizen.runtime.drain()
    assert (first.status_code, second.status_code) == (200, 200)
    replies = zalo.texts_to(USER)
    assert replies
    assert await _count(engine) == 1
    # A retry with a new timestamp (a new signature) but the same message id: still one.
    payload["timestamp"] = str(int(payload["timestamp"]) + 1000)
    assert (await citizen.post(payload)).status_code == 200
    assert zalo.texts_to(USER) == replies
    assert await _count(engine) == 1


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b"\xff\xfe", b"", b"[" * 100_000, b'"text"']
)
async def test_malformed_json_is_a_400_and_nothing_is_stored(
    body: bytes, http: httpx.AsyncClient, engine: AsyncEngine, clock
):
    timestamp = millis(clock)
    headers = {"X-ZEvent-Signature": sign("app", body, timestamp, OA_SECRET)}
    response = await http.post("/zalo/webhook", content=body, headers=headers)
    assert response.status_code == 400
    assert await _count(engine) == 0


async def test_an_oversized_body_is_a_413_and_nothing_is_stored(
    citizen: ZaloPerson, http: httpx.AsyncClient, engine: AsyncEngine
):
    body, headers = signed(citizen.event("user_send_text", text="x" * 300_000))
    response = await http.post("/zalo/webhook", content=body, headers=headers)
    assert response.status_code == 413
    assert await _count(engine) == 0


async def test_a_body_streamed_past_the_cap_is_refused_unread(
    http: httpx.AsyncClient, engine: AsyncEngine, zalo: FakeZalo
):
    """Chunked, so no Content-Length to refuse; the signature cannot be checked before the
    body is read, so the cap is what keeps an unsigned sender from sending megabytes."""
    body = ChunkedBody(total=8 * MAX_BODY_BYTES, chunk=16 * 1024)
    response = await http.post("/zalo/webhook", content=body)
    assert response.status_code == 413
    assert response.json() == {"error": "too large"}
    assert MAX_BODY_BYTES < body.sent <= MAX_BODY_BYTES + body.chunk
    assert await _count(engine) == 0
    assert zalo.sent == []


async def test_follow_gets_the_welcome_with_the_menu(
    citizen: ZaloPerson, zalo: FakeZalo, content: Content
):
    texts = await citizen.deliver(citizen.event("follow"))
    assert content.messages.greeting.splitlines()[0] in "\n".join(texts)
    buttons = [b for s in zalo.sent for b in s.buttons]
    assert content.messages.person_button in [b["title"] for b in buttons]
    assert all(b["type"] == "oa.query.hide" and b["payload"].startswith("#") for b in buttons)
    assert all(len(s.buttons) <= 5 for s in zalo.sent)


async def test_a_menu_button_tap_arrives_as_hash_text_and_is_a_press(
    citizen: ZaloPerson, zalo: FakeZalo, content: Content
):
    await citizen.deliver(citizen.event("follow"))
    topic = zalo.sent[-1].buttons[0]
    texts = await citizen.say(topic["payload"])
    assert texts
    assert content.messages.fallback.splitlines()[0] not in "\n".join(texts)
    assert zalo.sent[-1].buttons  # a topic menu answers with its questions as buttons


async def test_typed_text_starting_with_hash_is_just_text(citizen: ZaloPerson, content: Content):
    texts = await citizen.say("#hashtag khong phai nut")
    assert texts  # answered as text (fallback or FAQ), not as an expired button


async def test_photos_and_stickers_get_the_text_only_answer(
    citizen: ZaloPerson, content: Content, engine: AsyncEngine
):
    not_text = content.messages.not_text.splitlines()[0]
    assert not_text in "\n".join(await citizen.deliver(citizen.event("user_send_image")))
    assert not_text in "\n".join(await citizen.deliver(citizen.event("user_send_sticker")))
    assert all(row.handled_at is not None for row in await _inbox(engine))


async def test_a_shared_location_outside_the_intake_is_not_used(
    citizen: ZaloPerson, bot, engine: AsyncEngine
):
    texts = await citizen.deliver(citizen.event("user_send_location"))
    assert bot.assistant.t("location_not_needed") in texts


async def test_unknown_events_and_echoes_are_settled_without_an_answer(
    citizen: ZaloPerson, zalo: FakeZalo, engine: AsyncEngine, clock
):
    assert await citizen.deliver(citizen.event("user_reacted_message")) == []
    echo = citizen.event("oa_send_text")
    echo["recipient"]["id"] = USER
    assert await citizen.deliver(echo) == []
    seen = citizen.event("user_send_text", text="")
    seen["event_name"] = "user_seen_message"
    assert await citizen.deliver(seen) == []
    rows = await _inbox(engine)
    assert len(rows) == 3
    assert all(row.handled_at is not None for row in rows)
    assert zalo.send_calls == 0


async def test_an_event_without_msg_id_is_deduplicated_by_name_person_and_time(
    citizen: ZaloPerson, zalo: FakeZalo, engine: AsyncEngine
):
    follow = citizen.event("follow")
    await citizen.deliver(follow)
    sends = zalo.send_calls
    await citizen.deliver(follow)
    assert zalo.send_calls == sends
    [row] = await _inbox(engine)
    assert row.external_id == f"follow:{USER}:{follow['timestamp']}"


async def test_a_stalled_delivery_is_replayed_once(
    runtime: ZaloOARuntime,
    citizen: ZaloPerson,
    zalo: FakeZalo,
    engine: AsyncEngine,
    clock: FakeClock,
):
    """Stored, acknowledged, never handled (the worker that stored it died): the worker's
    selection of stalled deliveries finds it once it is old enough, and only once."""
    payload = citizen.event("user_send_text", text="cach cai vneid")
    async with session_factory(engine).begin() as session:  # stored before records existed
        await InboxRepository(session).receive(
            "zalo", delivery_key(payload), payload, runtime.bot.clock()
        )
    worker = Worker(runtime.bot, [runtime], stalled_after=timedelta(seconds=60))
    clock.advance(seconds=30)
    assert await worker.replay_stalled() == 0  # maybe still being handled
    clock.advance(seconds=31)
    assert await worker.replay_stalled() == 1
    await runtime.drain()
    replies = zalo.texts_to(USER)
    assert replies
    [row] = await _inbox(engine)
    assert row.handled_at is not None
    assert row.attempts == 1
    clock.advance(minutes=10)
    assert await worker.replay_stalled() == 0  # handled: never selected again
    await runtime.drain()
    assert zalo.texts_to(USER) == replies
