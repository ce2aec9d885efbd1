"""Replies out as Official Account customer-service messages, and what a refusal means.

Zalo cannot edit a message, so an edit is sent as a new one. A rejected access token is
renewed once (tokens.py) and the send tried again.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.zalo_oa.client import (
    BLOCKED_CODES,
    INVALID_TOKEN_CODES,
    PERMANENT_CODES,
    QUOTA_CODES,
    RATE_LIMIT_CODES,
    WINDOW_CODES,
    OAClient,
    ZaloApiError,
    ZaloError,
    ZaloUnavailable,
)
from bot.channels.zalo_oa.convert import CHANNEL
from bot.channels.zalo_oa.render import OARenderer
from bot.channels.zalo_oa.tokens import TokenKeeper, TokenUnavailable
from bot.delivery import SendError
from bot.messages import Reply

__all__ = ["ZaloOASender", "send_error"]

logger = logging.getLogger(__name__)
RATE_LIMIT_WAIT = 60.0  # seconds; Zalo's limits are per minute


def send_error(error: ZaloError) -> SendError:
    """What the dispatcher should do after Zalo refused or could not be reached."""
    if isinstance(error, ZaloUnavailable):
        return SendError(error.reason, retry_after=error.retry_after)
    code = error.code
    if code in WINDOW_CODES:
        return SendError(error.reason, final=True, kind="window")
    if code in QUOTA_CODES:
        return SendError(error.reason, final=True, kind="quota")
    if code in BLOCKED_CODES:
        return SendError(error.reason, final=True, kind="blocked")
    if code in RATE_LIMIT_CODES:
        return SendError(error.reason, retry_after=RATE_LIMIT_WAIT)
    if code in PERMANENT_CODES:
        return SendError(error.reason, final=True)
    # Configuration problems and unknown codes: retried, then given up by the dispatcher.
    return SendError(error.reason)


class ZaloOASender:
    """Delivers replies as customer-service messages; Zalo cannot edit, so edits are new.

    A long reply is several messages; if one of them fails, the dispatcher retries the
    whole reply, and the pieces already delivered arrive again (Zalo sends are not
    idempotent, and losing the rest would be worse).
    """

    channel = CHANNEL

    def __init__(self, client: OAClient, tokens: TokenKeeper, renderer: OARenderer) -> None:
        self.client = client
        self.tokens = tokens
        self.renderer = renderer

    async def send(self, external_id: str, reply: Reply) -> str | None:
        message_id: str | None = None
        for message in self.renderer.render(reply):
            message_id = await self._send_one(external_id, message) or message_id
        return message_id

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        return await self.send(external_id, reply)

    async def _send_one(self, user_id: str, message: dict[str, Any]) -> str:
        try:
            token = await self.tokens.access_token()
            try:
                return await self.client.send_cs_message(token, user_id, message)
            except ZaloApiError as error:
                if error.code not in INVALID_TOKEN_CODES:
                    raise
                logger.warning("zalo oa: access token rejected (%s); renewing", error.reason)
                token = await self.tokens.refresh_after_rejection(token)
                return await self.client.send_cs_message(token, user_id, message)
        except TokenUnavailable as error:
            reason = f"no access token: {error.reason}"
            raise SendError(reason, retry_after=error.retry_after) from error
        except ZaloError as error:
            logger.warning("zalo oa: send refused: %s", error.reason)
            raise send_error(error) from error
