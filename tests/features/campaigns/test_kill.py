"""A campaign to 2,000 subscribers by the real server, SIGKILLed halfway, on SQLite and
PostgreSQL: the platform's 30 messages a second hold, nobody receives it twice, and the
delivery summary adds up.

The fake Zalo Bot platform records each message when the request arrives, whether or not
the server lives to read the answer. A recipient row is marked `sending` (committed) before
its one attempt; rows a killed worker left `sending` are settled as "interrupted" and never
sent again: those are the only ones that may have arrived without being marked sent.
"""

from __future__ import annotations

from pathlib import Path

from tests.features.campaigns.process import run_campaign

# Not marked `faults`: it asserts an upper bound on the rate and exactly-once delivery, which
# a busy machine only slows, so it runs in the parallel phase of `make test` (about 70 s).
SUBSCRIBERS = 2000
RATE = 30
LANES = 4  # CampaignSender's lanes per channel: at most this many rows in flight at a kill


async def _check(tmp_path: Path, database_url: str = "") -> None:
    figures = await run_campaign(
        tmp_path, SUBSCRIBERS, database_url=database_url, rate=RATE, deadline=180.0
    )
    assert figures.killed_at is not None, figures
    summary = figures.summary
    assert figures.twice == 0, figures  # nobody messaged twice
    assert summary.total == SUBSCRIBERS, summary
    assert summary.pending == 0, summary  # finished after the restart
    assert summary.settled == SUBSCRIBERS, summary  # the summary adds up
    assert summary.sent == len(figures.sent_rows)
    assert figures.sent_rows <= figures.received_chats  # every "sent" arrived ...
    # ... and whatever arrived unmarked was in flight at the kill (settled "interrupted").
    assert figures.received_chats - figures.sent_rows <= figures.interrupted_rows
    assert len(figures.interrupted_rows) <= LANES, figures.interrupted_rows
    assert summary.sent >= SUBSCRIBERS - LANES
    # The platform's rate: 30 a second, counted by the platform in wall-clock seconds. A
    # slot taken at the very end of a second may arrive in the next one: one per lane.
    assert figures.busiest_second <= RATE + LANES, figures.busiest_second
    # Any 10 s window touches at most 11 whole seconds of the budget.
    assert figures.busiest_ten_seconds <= 11 * RATE, figures.busiest_ten_seconds
    assert figures.throughput <= RATE * 1.02, figures.throughput


async def test_campaign_survives_sigkill_on_sqlite(tmp_path: Path) -> None:
    await _check(tmp_path)


async def test_campaign_survives_sigkill_on_postgres(tmp_path: Path, shared_postgres: str) -> None:
    await _check(tmp_path, shared_postgres)
