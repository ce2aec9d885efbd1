"""Keeps the OA access token valid: renew it early, once, and stop loudly when Zalo refuses.

Zalo's refresh token is single-use: two workers renewing at the same moment would burn it
and lock the bot out. A renewal therefore happens under an in-process lock (one HTTP call per
process) and the database row lock (one per deployment), and re-reads the row after locking:
another worker may have renewed it while we waited. A refused renewal is recorded on the row,
operators are alerted once, and sends wait until an operator runs `trolyso zalo authorize`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo_oa.client import OAClient, TokenGrant, ZaloApiError, ZaloUnavailable
from storage.models import ChannelTokenRow
from storage.tokens import ChannelTokenRepository

__all__ = ["TOKEN_NAME", "TokenKeeper", "TokenUnavailable"]

logger = logging.getLogger(__name__)

TOKEN_NAME = "zalo_oa"
# Renew when less than this remains: Zalo's access tokens have lived 1 h and 25 h over the
# years, so the margin is fixed rather than a share of the lifetime.
REFRESH_MARGIN = timedelta(hours=1)
# How long a send waits while nobody can send (no token, or renewal refused): long enough
# for an operator to authorize again before the dispatcher gives the message up.
WAIT_FOR_OPERATOR = timedelta(minutes=30)
WAIT_FOR_ZALO = timedelta(minutes=1)
# A token refused again right after its renewal is not an expiry (missing app permissions
# also answer -216): do not spend refresh tokens on it at every retry.
RENEWAL_COOLDOWN = timedelta(minutes=10)

Alert = Callable[[str], Awaitable[object]]


class TokenUnavailable(Exception):
    """No usable access token right now; try the send again after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: timedelta) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after.total_seconds()


def _operator_reason(error: ZaloApiError) -> str:
    """The short Vietnamese reason shown to operators in the alert."""
    if error.code is not None:
        return f"Zalo từ chối mã làm mới, mã lỗi {error.code}"
    return "Zalo từ chối mã làm mới"


class TokenKeeper:
    """Hands out the current access token and renews it; safe across tasks and workers."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: OAClient,
        clock: Callable[[], datetime],
        alert: Alert,
        *,
        name: str = TOKEN_NAME,
        refresh_margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.alert = alert
        self.name = name
        self.refresh_margin = refresh_margin
        self._lock = asyncio.Lock()
        self._cached: tuple[str, datetime] | None = None
        self._told_missing = False

    def _fresh(self, now: datetime) -> str | None:
        if self._cached is not None and self._cached[1] - now > self.refresh_margin:
            return self._cached[0]
        return None

    async def access_token(self) -> str:
        """A token with more than the margin left, renewing it first if needed."""
        cached = self._fresh(self.clock())
        if cached is not None:
            return cached
        async with self._lock:  # the other tasks of this process wait for one renewal
            cached = self._fresh(self.clock())
            if cached is not None:
                return cached
            return await self._renew(rejected=None)

    async def refresh_after_rejection(self, rejected: str) -> str:
        """Zalo called `rejected` invalid: renew now, unless someone already replaced it."""
        async with self._lock:
            now = self.clock()
            if self._cached is not None and self._cached[0] != rejected and self._cached[1] > now:
                return self._cached[0]
            return await self._renew(rejected=rejected)

    async def store(self, grant: TokenGrant) -> datetime:
        """Save a pair from the consent flow; clears a recorded failure. Returns the expiry."""
        async with self._lock:
            now = self.clock()
            expires_at = now + timedelta(seconds=grant.expires_in)
            async with self.sessions.begin() as session:
                await ChannelTokenRepository(session).save(
                    self.name, grant.access_token, grant.refresh_token, expires_at, now
                )
            self._cached = (grant.access_token, expires_at)
            self._told_missing = False
            return expires_at

    def _usable(self, row: ChannelTokenRow, now: datetime, rejected: str | None) -> bool:
        if rejected is not None:
            return row.access_token != rejected and row.expires_at > now
        return row.expires_at - now > self.refresh_margin

    def _stopped(self, row: ChannelTokenRow | None) -> TokenUnavailable | None:
        """Why nothing can be sent until an operator acts; None when a renewal may work."""
        if row is None:
            if not self._told_missing:
                logger.error("zalo oa: no access token stored; run `trolyso zalo authorize`")
                self._told_missing = True
            return TokenUnavailable("not authorized", WAIT_FOR_OPERATOR)
        if row.failed_at is not None:
            return TokenUnavailable("token renewal refused earlier", WAIT_FOR_OPERATOR)
        return None

    async def _renew(self, rejected: str | None) -> str:
        refused: tuple[str, bool] | None = None  # (operator reason, first failure)
        async with self.sessions.begin() as session:
            tokens = ChannelTokenRepository(session)
            now = self.clock()
            row = await tokens.get_locked(self.name)  # waits for another worker's renewal
            stopped = self._stopped(row)
            if stopped is not None:
                self._cached = None
                raise stopped
            assert row is not None
            if self._usable(row, now, rejected):  # renewed while we waited for the lock
                self._cached = (row.access_token, row.expires_at)
                return row.access_token
            if rejected is not None and now - row.updated_at < RENEWAL_COOLDOWN:
                logger.error("zalo oa: a fresh access token was refused; check app permissions")
                raise TokenUnavailable("fresh access token refused", WAIT_FOR_ZALO)
            logger.info("zalo oa: renewing the access token (reactive=%s)", rejected is not None)
            try:
                grant = await self.client.refresh(row.refresh_token)
            except ZaloUnavailable as error:
                logger.warning("zalo oa: token renewal failed, will retry: %s", error.reason)
                if rejected is None and row.expires_at > now:
                    return row.access_token  # still valid for a while: keep sending
                raise TokenUnavailable(error.reason, WAIT_FOR_ZALO) from error
            except ZaloApiError as error:
                logger.error("zalo oa: token renewal refused: %s", error.reason)
                first = await tokens.mark_failed(row, error.reason, now)
                refused = (_operator_reason(error), first)
            else:
                expires_at = now + timedelta(seconds=grant.expires_in)
                await tokens.save(
                    self.name, grant.access_token, grant.refresh_token, expires_at, now
                )
                self._cached = (grant.access_token, expires_at)
                return grant.access_token
        # The failure is committed before anyone is told, and told only by its first finder.
        self._cached = None
        assert refused is not None
        reason, first = refused
        if first:
            try:
                await self.alert(reason)
            except Exception:  # the failure is recorded; a lost alert must not hide it
                logger.exception("zalo oa: could not alert operators")
        raise TokenUnavailable("token renewal refused", WAIT_FOR_OPERATOR)
