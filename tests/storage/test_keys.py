"""Long platform ids fit their columns and never collide (issue 11 §11)."""

import re
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import session_factory
from storage.inbox import InboxRepository
from storage.keys import MAX_KEY, bounded_key
from storage.updates import first_delivery

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
SHARED = "x" * 200  # two ids that agree on their first 200 characters


def test_short_ids_are_kept_as_they_are() -> None:
    assert bounded_key("12345") == "12345"
    assert bounded_key("a" * MAX_KEY) == "a" * MAX_KEY


def test_long_ids_fit_and_stay_distinct() -> None:
    one, two = bounded_key(SHARED + "1"), bounded_key(SHARED + "2")
    assert len(one) == len(two) == MAX_KEY
    assert one != two
    assert bounded_key(SHARED + "1") == one  # the same id always gives the same key
    odd = bounded_key("\ud800" * 300)  # a lone surrogate does not break it
    assert len(odd) == MAX_KEY
    assert odd[: MAX_KEY - 41] == "\ud800" * (MAX_KEY - 41)
    assert re.fullmatch("#[0-9a-f]{40}", odd[MAX_KEY - 41 :])


async def test_two_long_update_ids_are_two_updates(engine: AsyncEngine) -> None:
    """Cutting at 128 characters made the second update look like a redelivery of the first,
    and it was silently dropped."""
    async with session_factory(engine).begin() as session:
        assert await first_delivery(session, "zalobot", SHARED + "1", NOW)
        assert await first_delivery(session, "zalobot", SHARED + "2", NOW)
        assert not await first_delivery(session, "zalobot", SHARED + "2", NOW)
    async with session_factory(engine).begin() as session:
        inbox = InboxRepository(session)
        assert await inbox.receive("zalobot", SHARED + "1", {"n": 1}, NOW) is not None
        assert await inbox.receive("zalobot", SHARED + "2", {"n": 2}, NOW) is not None
        assert await inbox.receive("zalobot", SHARED + "2", {"n": 2}, NOW) is None
