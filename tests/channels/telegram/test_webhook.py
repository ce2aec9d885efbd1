"""`POST /telegram/webhook` through the real ASGI application and an HTTP test client."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.telegram.runtime import MAX_BODY_BYTES, SECRET_HEADER
from bot.web.app import create_app
from storage import session_factory
from storage.models import InboundEventRow
from tests.channels.conftest import ChunkedBody
from tests.channels.telegram.conftest import SECRET
from tests.channels.telegram.harness import for_chat, sample

CHAT = 5550001
QUESTION = "cach kich hoat tai khoan dinh danh dien tu muc 2"


async def _post(
    runtime, body: bytes | str | ChunkedBody, secret: str | None = SECRET
) -> httpx.Response:
    app = create_app(runtime.bot, [runtime])
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
        return await client.post("/telegram/webhook", content=body, headers=headers)


async def _settled(runtime, engine: AsyncEngine) -> None:
    """Wait until the application has handled every stored delivery."""
    for _ in range(300):
        async with session_factory(engine)() as session:
            waiting = (
                await session.execute(
                    select(func.count(InboundEventRow.id)).where(
                        InboundEventRow.handled_at.is_(None)
                    )
                )
            ).scalar_one()
        if not waiting and runtime.application.update_queue.empty() and not runtime.busy:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("updates not processed in time")


async def _stored(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return int((await session.execute(select(func.count(InboundEventRow.id)))).scalar_one())


async def test_the_same_update_twice_gets_one_reply(runtime, api, engine: AsyncEngine):
    update = for_chat(sample("text_message"), CHAT)
    update["message"]["text"] = QUESTION
    body = json.dumps(update)
    first = await _post(runtime, body)
    await _settled(runtime, engine)
    second = await _post(runtime, body)  # Telegram redelivers after a timeout
    await _settled(runtime, engine)
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(api.sent(CHAT)) == 1
    assert "VNeID" in api.sent(CHAT)[0].params["text"]
    assert await _stored(engine) == 1
    async with session_factory(engine)() as session:
        row = (await session.execute(select(InboundEventRow))).scalar_one()
    assert row.handled_at is not None


async def test_a_wrong_or_missing_secret_is_refused(runtime, api, engine: AsyncEngine):
    body = json.dumps(for_chat(sample("text_message"), CHAT))
    assert (await _post(runtime, body, secret="wrong")).status_code == 403
    assert (await _post(runtime, body, secret=None)).status_code == 403
    assert (await _post(runtime, body, secret=SECRET + "x")).status_code == 403
    await _settled(runtime, engine)
    assert api.sent() == []
    assert await _stored(engine) == 0


async def test_malformed_json_is_a_400_and_nothing_is_stored(runtime, api, engine: AsyncEngine):
    assert (await _post(runtime, b'{"update_id": 1, "message": {')).status_code == 400
    assert (await _post(runtime, b"[1, 2, 3]")).status_code == 400
    assert (await _post(runtime, b'{"update_id": "one"}')).status_code == 400
    assert (await _post(runtime, b"\xff\xfe garbage")).status_code == 400
    assert await _stored(engine) == 0
    assert api.sent() == []


async def test_a_body_streamed_past_the_cap_is_refused_unread(runtime, api, engine: AsyncEngine):
    """Chunked, so no Content-Length to refuse: the route stops reading at the cap."""
    body = ChunkedBody(total=4 * MAX_BODY_BYTES, chunk=16 * 1024)
    response = await _post(runtime, body)
    assert response.status_code == 413
    assert response.text == "too large"
    assert MAX_BODY_BYTES < body.sent <= MAX_BODY_BYTES + body.chunk  # not the other 3 MB
    assert await _stored(engine) == 0
    assert api.sent() == []


async def test_a_stalled_delivery_is_replayed_once(runtime, api, engine: AsyncEngine, clock):
    """A worker that stored an update and died: another worker processes it later."""
    from bot.worker import Worker
    from storage.inbox import InboxRepository

    update = for_chat(sample("text_message"), CHAT)
    update["message"]["text"] = QUESTION
    async with session_factory(engine).begin() as session:
        await InboxRepository(session).receive(
            "telegram", str(update["update_id"]), update, clock()
        )
    clock.advance(minutes=2)
    worker = Worker(runtime.bot, [runtime])
    counts = await worker.tick()
    await _settled(runtime, engine)
    assert counts["replayed"] == 1
    assert len(api.sent(CHAT)) == 1
    assert (await worker.tick())["replayed"] == 0  # handled now: never again


async def test_the_health_check_reports_the_channels(runtime):
    app = create_app(runtime.bot, [runtime])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "channels": ["telegram"]}
