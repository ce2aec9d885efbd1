"""Is a webhook delivery really from Zalo? The `X-ZEvent-Signature` check of OA events.

Zalo signs each event as hex(SHA-256(app_id + raw body + timestamp + OA secret key)): a plain
hash of the concatenation, not an HMAC, with `timestamp` taken from the JSON body and the OA
Secret Key from the app's webhook page (not the App Secret). The `app_id` signed is the one
configured (ZALO_APP_ID), never the one a sender writes in the body: an event that names
another app is refused. Some senders prefix the
header with `mac=`. A captured delivery replayed later fails the time window, since the
timestamp is part of what is signed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

__all__ = ["REPLAY_WINDOW", "SignatureProblem", "check_signature", "event_time", "sign"]

REPLAY_WINDOW = timedelta(minutes=5)
SignatureProblem = Literal["missing", "mismatch", "stale"]


def sign(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The signature Zalo would send for this body (also used by tests to sign fixtures)."""
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(body)
    digest.update(timestamp.encode())
    digest.update(secret.encode())
    return digest.hexdigest()


def event_time(payload: Mapping[str, Any]) -> datetime | None:
    """The body's `timestamp` (milliseconds, usually a string) as a UTC time; None if absent."""
    raw = payload.get("timestamp")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    try:
        millis = int(str(raw).strip())
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def check_signature(
    header: str | None,
    body: bytes,
    payload: Mapping[str, Any],
    secret: str,
    now: datetime,
    window: timedelta = REPLAY_WINDOW,
    *,
    app_id: str,
) -> SignatureProblem | None:
    """None when the delivery is authentic and recent; otherwise what is wrong (for the log)."""
    given = (header or "").strip()
    if given[:4].lower() == "mac=":
        given = given[4:].strip()
    if not given or not secret or not app_id:
        return "missing"
    named, timestamp = payload.get("app_id"), payload.get("timestamp")
    if timestamp is None or (named is not None and str(named) != app_id):
        return "mismatch"
    expected = sign(app_id, body, str(timestamp), secret)
    # Compare as bytes: compare_digest refuses non-ASCII str, and a header may carry anything.
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        return "mismatch"
    sent_at = event_time(payload)
    if sent_at is None or abs(now - sent_at) > window:
        return "stale"
    return None
