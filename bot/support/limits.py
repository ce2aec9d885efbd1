"""The attempt limiter: guessable codes (invites, channel links; later web log-in links).

Every failed attempt is stored and audited. After `max_failures` failures within `window` by
one person or from one chat, further attempts are refused, right code or not, until the oldest
failure leaves the window. Counting per chat as well as per person means that starting over as
a "new person" in the same chat does not reset the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from math import ceil

from bot.support.common import Turn

__all__ = ["CODE_GUESSES", "AttemptLimiter"]


@dataclass(frozen=True)
class AttemptLimiter:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=10)

    @staticmethod
    def subjects(person_id: int, channel: str, chat: str) -> tuple[str, str]:
        return f"person:{person_id}", f"chat:{channel}:{chat}"

    async def locked_for(self, turn: Turn, scope: str, subjects: tuple[str, ...]) -> int | None:
        """Minutes until another attempt is allowed, or None when attempts are allowed now."""
        count, oldest = await turn.attempts.failures(scope, subjects, turn.now - self.window)
        if count < self.max_failures or oldest is None:
            return None
        wait = oldest + self.window - turn.now
        return max(1, ceil(wait.total_seconds() / 60))

    async def failed(
        self,
        turn: Turn,
        scope: str,
        subjects: tuple[str, ...],
        person_id: int | None,
        reason: str,
    ) -> None:
        """Store and audit one failed attempt."""
        await turn.attempts.record(scope, subjects, turn.now)
        await turn.audit.record(f"{scope}_failed", turn.now, person_id, reason=reason)


# Invite and link codes: 5 wrong codes in 10 minutes, then a pause.
CODE_GUESSES = AttemptLimiter()
