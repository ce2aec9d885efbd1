"""A citizen's own commune: remembered, changed, and forgotten with the person."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import session_factory
from storage.models import PersonRow
from storage.people import PeopleRepository

NOW = datetime(2026, 10, 10, 8, 0, tzinfo=UTC)


async def test_the_home_commune_is_kept_changed_and_forgotten(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        people = PeopleRepository(session)
        person = await people.resolve("telegram", "42", NOW)
        assert person.commune_code is None
        await people.set_home_commune(person, "00004", NOW)
        person_id = person.id
    async with sessions.begin() as session:
        people = PeopleRepository(session)
        again = await people.get(person_id)
        assert again is not None
        assert (again.commune_code, again.commune_set_at) == ("00004", NOW)
        await people.set_home_commune(again, "00007", NOW)
        await people.forget(again, NOW)
    async with sessions.begin() as session:
        gone = await session.get(PersonRow, person_id)  # get() hides forgotten people
        assert gone is not None
        assert gone.deleted_at == NOW
        assert (gone.commune_code, gone.commune_set_at) == (None, None)
