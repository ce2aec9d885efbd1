"""Failed sends in the log: the first few of an interval line by line, the rest as one summary.

A platform outage or a campaign to people who blocked the bot fails thousands of sends in a
minute; a line for each buried everything else in the log (5,000 undeliverable messages once
wrote 9,594 WARNING lines in 45 s). Here each interval (a minute by default) logs its first
`detailed` failures as they happen, so one failure is seen at once with its outbox row, and
then a single summary line when the interval is over: how many were postponed and how many
given up, by reason. Counts are also in /metrics (bot/metrics.py); nothing here holds text.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["SendFailureLog"]


class SendFailureLog:
    """One channel's failed sends, logged sparingly (the clock is the dispatcher's)."""

    def __init__(
        self,
        logger: logging.Logger,
        channel: str,
        clock: Callable[[], datetime],
        *,
        interval: timedelta = timedelta(minutes=1),
        detailed: int = 5,
    ) -> None:
        self.logger = logger
        self.channel = channel
        self.clock = clock
        self.interval = interval
        self.detailed = detailed
        self._started: datetime | None = None
        self._seen = 0
        self._held: Counter[tuple[str, str]] = Counter()  # (what, reason) not logged one by one

    def given_up(self, outbox_id: int, reason: str) -> None:
        """A row that will not be sent (final refusal, or attempts used up)."""
        self._record("undeliverable", outbox_id, reason, logging.WARNING, "")

    def postponed(self, outbox_id: int, reason: str, wait: float) -> None:
        """A row to be tried again after `wait` seconds."""
        self._record("send postponed", outbox_id, reason, logging.INFO, f" wait={wait:.0f}s")

    def flush(self) -> None:
        """Write the summary of an interval that is over (called on every failure and round)."""
        now = self.clock()
        if self._started is not None and now - self._started >= self.interval:
            self._summarize()
            self._started, self._seen = None, 0

    def _record(self, what: str, outbox_id: int, reason: str, level: int, extra: str) -> None:
        self.flush()
        if self._started is None:
            self._started = self.clock()
        self._seen += 1
        if self._seen <= self.detailed:
            self.logger.log(
                level,
                "%s channel=%s outbox=%s reason=%s%s",
                what,
                self.channel,
                outbox_id,
                reason,
                extra,
            )
        else:
            self._held[(what, reason)] += 1

    def _summarize(self) -> None:
        if not self._held:
            return
        given_up = sum(n for (what, _), n in self._held.items() if what == "undeliverable")
        postponed = sum(self._held.values()) - given_up
        reasons = ", ".join(
            f"{what}/{reason}={n}" for (what, reason), n in sorted(self._held.items())
        )
        self.logger.warning(
            "send failures channel=%s not logged one by one in the last %ds: "
            "undeliverable=%d postponed=%d (%s)",
            self.channel,
            int(self.interval.total_seconds()),
            given_up,
            postponed,
            reasons,
        )
        self._held.clear()
