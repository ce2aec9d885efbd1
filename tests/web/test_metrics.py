"""`GET /metrics`: the figures move with real webhook traffic, and reveal nobody."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.services import Bot
from bot.web.app import create_app
from storage.models import HelpRequestRow
from storage.outbox import OutboxRepository
from tests.channels.zalo_bot import CHAT, harness, refusal, text_event
from tests.web.conftest import FakeClock, scrape, value

ZALO = "zalobot"


async def test_a_webhook_update_moves_the_counters_and_the_histogram(bot: Bot) -> None:
    async with harness(bot) as channel:
        before = await scrape(channel.http)
        assert value(before, "trolyso_updates_received_total", channel=ZALO) == 0
        await channel.person().say("cach cai vneid")  # an FAQ answer
        after = await scrape(channel.http)
    assert value(after, "trolyso_updates_received_total", channel=ZALO) == 1
    assert value(after, "trolyso_updates_handled_total", channel=ZALO) == 1
    assert value(after, "trolyso_updates_failed_total", channel=ZALO) == 0
    assert value(after, "trolyso_update_handling_seconds_count", channel=ZALO) == 1
    seconds = value(after, "trolyso_update_handling_seconds_sum", channel=ZALO)
    assert 0 < seconds < 10
    assert value(after, "trolyso_update_handling_seconds_bucket", channel=ZALO, le="10.0") == 1
    assert value(after, "trolyso_answers_total", channel=ZALO, action="answer") == 1
    assert value(after, "trolyso_channel_ready", channel=ZALO) == 1
    assert value(after, "trolyso_database_up") == 1
    # Answered and sent: nothing waits.
    assert value(after, "trolyso_outbox_pending", channel=ZALO) == 0
    assert value(after, "trolyso_inbox_unhandled", channel=ZALO) == 0


async def test_a_redelivery_is_not_counted_as_received(bot: Bot) -> None:
    async with harness(bot) as channel:
        event = text_event("cach cai vneid", message_id="twice")
        await channel.person().post(event)
        await channel.person().post(event)
        figures = await scrape(channel.http)
    assert value(figures, "trolyso_updates_received_total", channel=ZALO) == 1
    assert value(figures, "trolyso_updates_handled_total", channel=ZALO) == 1


async def test_answers_are_counted_by_action(bot: Bot, content) -> None:
    async with harness(bot) as channel:
        citizen = channel.person()
        assert content.messages.clarify_prompt in await citizen.say("to cong nghe so")
        await citizen.say("xyzzy plugh qwertz")
        await citizen.say("cach cai vneid")
        figures = await scrape(channel.http)
    counts = {
        action: value(figures, "trolyso_answers_total", channel=ZALO, action=action)
        for action in ("answer", "clarify", "fallback")
    }
    assert counts == {"answer": 1, "clarify": 1, "fallback": 1}


async def test_a_refused_send_is_counted_by_kind(bot: Bot) -> None:
    async with harness(bot) as channel:
        channel.api.fail("sendMessage", refusal(403, 403, "The user has blocked the bot"))
        await channel.person().say("cach cai vneid")
        figures = await scrape(channel.http)
    assert value(figures, "trolyso_sends_failed_total", channel=ZALO, kind="blocked") == 1
    for kind in ("window", "quota", "other"):
        assert value(figures, "trolyso_sends_failed_total", channel=ZALO, kind=kind) == 0


async def test_backlogs_come_from_the_database(bot: Bot, clock: FakeClock) -> None:
    """Pending rows and waiting requests, with the age of the oldest, read at scrape time."""
    async with bot.sessions.begin() as session:
        outbox = OutboxRepository(session)
        await outbox.add("zalobot", CHAT, "first", now=clock() - timedelta(minutes=5))
        await outbox.add("zalobot", CHAT, "second", now=clock() - timedelta(minutes=1))
        sent = await outbox.add("telegram", "42", "gone", now=clock() - timedelta(hours=1))
        await outbox.mark_sent(sent, clock(), platform_message_id="1")
    async with harness(bot) as channel:
        before = await scrape(channel.http)
        assert value(before, "trolyso_outbox_pending", channel=ZALO) == 2
        assert value(before, "trolyso_outbox_oldest_pending_age_seconds", channel=ZALO) == 300
        # The sent row is not waiting, and telegram is not served here: no series at all.
        assert ("trolyso_outbox_pending", (("channel", "telegram"),)) not in before
        assert value(before, "trolyso_help_requests_waiting") == 0
        # A citizen asks for a person: a request nobody has claimed yet.
        await _open_request(bot, clock)
        clock.advance(minutes=2)
        after = await scrape(channel.http)
    assert value(after, "trolyso_help_requests_waiting") == 1
    assert value(after, "trolyso_help_requests_oldest_waiting_age_seconds") == 120
    assert value(after, "trolyso_outbox_oldest_pending_age_seconds", channel=ZALO) == 420


async def _open_request(bot: Bot, clock: FakeClock) -> None:
    """One request waiting for a volunteer, one already claimed (not waiting)."""
    async with bot.sessions.begin() as session:
        for ref, status in (("HTWAIT", "open"), ("HTTAKEN", "active")):
            session.add(
                HelpRequestRow(
                    ref=ref,
                    citizen_channel="zalobot",
                    pseudonym=f"Người dân {ref}",
                    topic="vneid",
                    commune_code="00001",
                    province_code="01",
                    status=status,
                    created_at=clock() - timedelta(minutes=30 if status == "active" else 0),
                )
            )


async def test_nothing_personal_is_exposed(bot: Bot) -> None:
    text = "toi ten Nguyen Van An so 0912345678 cach cai vneid"
    async with harness(bot) as channel:
        await channel.person().say(text)
        response = await channel.http.get("/metrics")
    body = response.text
    for secret in (CHAT, "0912345678", "Nguyen", "vneid"):
        assert secret not in body
    labels = {
        name
        for line in body.splitlines()
        if line and not line.startswith("#") and "{" in line
        for name in (pair.split("=")[0] for pair in line[line.index("{") + 1 :].split(","))
    }
    assert labels <= {"channel", "kind", "action", "le"}


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Bearer wrong-token", 401), ("Basic c2VjcmV0", 401), ("Bearer s3cret", 200)],
)
async def test_a_metrics_token_guards_the_endpoint(bot: Bot, header: str | None, status: int):
    app = create_app(bot, [], metrics_token="s3cret")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        headers = {"Authorization": header} if header is not None else {}
        response = await http.get("/metrics", headers=headers)
        probes = [(await http.get(path)).status_code for path in ("/healthz", "/readyz")]
    assert response.status_code == status
    if status == 401:
        assert "trolyso_" not in response.text
    else:
        assert "trolyso_database_up 1.0" in response.text
    assert probes == [200, 200]  # the probes stay open


async def test_applications_in_one_process_keep_their_own_figures(bot: Bot) -> None:
    async with harness(bot) as first:
        await first.person().say("cach cai vneid")
        async with harness(bot) as second:  # the newest application records from now on
            await second.person("another-chat").say("cach cai vneid")
            figures = [await scrape(first.http), await scrape(second.http)]
    received = [value(f, "trolyso_updates_received_total", channel=ZALO) for f in figures]
    assert received == [1, 1]  # two registries side by side, no "duplicated timeseries"


WORKER = """
import sys
from prometheus_client import CollectorRegistry
from bot.web.metrics import PrometheusRecorder, StateCollector, exposition

registry = CollectorRegistry()
recorder = PrometheusRecorder(registry, ["zalobot"])
for _ in range(int(sys.argv[1])):
    recorder.received("zalobot")
    recorder.handled("zalobot", 0.02, failed=False)
sys.stdout.write(exposition(registry, StateCollector([])).decode())
"""


def test_several_workers_add_up_in_multiprocess_mode(tmp_path) -> None:
    """uvicorn --workers N with PROMETHEUS_MULTIPROC_DIR: any worker's scrape has them all."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def worker(count: int) -> str:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(count)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        return done.stdout

    worker(2)
    worker(3)
    text = worker(0)  # a third worker, scraped
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    zalobot = (("channel", "zalobot"),)
    assert samples[("trolyso_updates_received_total", zalobot)] == 5
    assert samples[("trolyso_update_handling_seconds_count", zalobot)] == 5
    assert samples[("trolyso_database_up", ())] == 0  # the state collector is merged in
