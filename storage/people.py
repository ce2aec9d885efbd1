"""People, their channel identities, roles and volunteer profiles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.codes import new_code
from storage.models import (
    HelpRequestRow,
    IdentityRow,
    LinkCodeRow,
    PersonRow,
    VolunteerCommuneRow,
    VolunteerRow,
)
from storage.vocabulary import ROLE_RANK

__all__ = ["OPEN_REQUEST", "Candidate", "PeopleRepository"]
# How stale `last_seen_at` may be: it orders a person's channels (the most recent first).
SEEN_PRECISION = timedelta(minutes=10)

HANDLE_LENGTH = 6
LINK_LENGTH = 10  # a link code hands over a whole identity: long enough never to be guessed


@dataclass(frozen=True, slots=True)
class Candidate:
    """A volunteer who could take a request now, and where to reach them."""

    person: PersonRow
    profile: VolunteerRow
    channel: str
    external_id: str
    active_sessions: int


_MENU_SHOWN = "menu_shown"  # session.info: (person resolved, role their menu shows)

_HELD = "people_held"  # session.info: what storage/first_read.py read, by (channel, id)
Found = tuple[IdentityRow | None, PersonRow | None, bool]

# Whether the person has a help request open or active.
OPEN_REQUEST = (
    select(HelpRequestRow.id)
    .where(
        HelpRequestRow.citizen_id == PersonRow.id,
        # Not `in_`: a list becomes an "expanding" parameter, compiled again per execution.
        or_(HelpRequestRow.status == "open", HelpRequestRow.status == "active"),
    )
    .exists()
)
# The identity, its person and whether they have a help request open, in one statement: a
# message's hottest read. Built once (construction and cache key cost more than the query).
_RESOLVE = (
    select(IdentityRow, PersonRow, OPEN_REQUEST)
    .outerjoin(PersonRow, PersonRow.id == IdentityRow.person_id)
    .where(
        IdentityRow.channel == bindparam("channel"),
        IdentityRow.external_id == bindparam("external_id"),
    )
)


class PeopleRepository:
    """Finds or creates the person behind a (channel, external id); never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Whether each person `resolve` returned had a help request still open or active
        # then: read with the person, so a citizen without one (nearly every message) costs
        # no second query to find out.
        self.open_request: dict[int, bool] = {}

    async def identity(self, channel: str, external_id: str) -> IdentityRow | None:
        query = select(IdentityRow).where(
            IdentityRow.channel == channel, IdentityRow.external_id == external_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def resolve(self, channel: str, external_id: str, now: datetime) -> PersonRow:
        """The person on this channel id, created as a citizen on first contact.

        The caller already holds the conversation row lock for this (channel, id), so two
        workers never create the same person twice.
        """
        held: Found | None = self.session.info.get(_HELD, {}).pop((channel, external_id), None)
        if held is None:
            row = (
                await self.session.execute(
                    _RESOLVE, {"channel": channel, "external_id": external_id}
                )
            ).one_or_none()
            held = (row[0], row[1], bool(row[2])) if row is not None else (None, None, False)
        found, person, open_request = held
        if found is not None:
            if person is not None and person.deleted_at is None:
                if found.last_seen_at < now - SEEN_PRECISION:  # not a write per message
                    found.last_seen_at = now
                self.open_request[person.id] = open_request
                self.session.info[_MENU_SHOWN] = (person, found.menu_role or "citizen")
                return person
            # The person asked us to forget them: this id starts afresh.
            await self.session.delete(found)
            await self.session.flush()
        person = PersonRow(handle=await self._free_handle(), role="citizen", created_at=now)
        self.session.add(person)
        await self.session.flush()
        self.session.add(
            IdentityRow(
                person_id=person.id, channel=channel, external_id=external_id, last_seen_at=now
            )
        )
        await self.session.flush()
        self.open_request[person.id] = False
        self.session.info[_MENU_SHOWN] = (person, "citizen")
        return person

    @staticmethod
    def hold(session: AsyncSession, channel: str, external_id: str, found: Found) -> None:
        """What a statement of the caller's read (storage/first_read.py): the next `resolve`
        of this (channel, id) in the session runs no query of its own."""
        session.info.setdefault(_HELD, {})[(channel, external_id)] = found

    async def _free_handle(self) -> str:
        while True:
            handle = new_code(HANDLE_LENGTH)
            if await self.by_handle(handle) is None:
                return handle

    async def by_handle(self, handle: str) -> PersonRow | None:
        query = select(PersonRow).where(
            PersonRow.handle == handle.upper(), PersonRow.deleted_at.is_(None)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get(self, person_id: int) -> PersonRow | None:
        person = await self.session.get(PersonRow, person_id)
        return person if person is not None and person.deleted_at is None else None

    async def identities(self, person_id: int) -> list[IdentityRow]:
        query = (
            select(IdentityRow)
            .where(IdentityRow.person_id == person_id)
            .order_by(IdentityRow.last_seen_at.desc())
        )
        return list((await self.session.execute(query)).scalars())

    async def menu_outdated(
        self, channel: str, external_id: str | None = None, limit: int = 50
    ) -> list[tuple[IdentityRow, str]]:
        """Identities whose command menu shows another role than the person has now."""
        shown = func.coalesce(IdentityRow.menu_role, "citizen")
        query = (
            select(IdentityRow, PersonRow.role)
            .join(PersonRow, PersonRow.id == IdentityRow.person_id)
            .where(IdentityRow.channel == channel, shown != PersonRow.role)
            .order_by(IdentityRow.id)
            .limit(limit)
        )
        if external_id is not None:
            query = query.where(IdentityRow.external_id == external_id)
        return [(identity, role) for identity, role in (await self.session.execute(query)).all()]

    @staticmethod
    def menu_behind(session: AsyncSession) -> bool:
        """Whether the last person `resolve` found now has another role than the command
        menu of the identity they wrote from shows (their role changed, now or before)."""
        found = session.info.get(_MENU_SHOWN)
        return found is not None and found[0].role != found[1]

    async def set_menu_role(self, identity_id: int, role: str) -> None:
        await self.session.execute(
            update(IdentityRow).where(IdentityRow.id == identity_id).values(menu_role=role)
        )

    async def reach(self, person_id: int) -> IdentityRow | None:
        """Where to send a notification: the identity the person used most recently."""
        found = await self.identities(person_id)
        return found[0] if found else None

    async def link(self, person: PersonRow, identity: IdentityRow) -> None:
        """Move an identity (another channel) to `person`: one person, two channels."""
        identity.person_id = person.id
        await self.session.flush()

    async def new_link_code(self, person: PersonRow, expires_at: datetime) -> str:
        """A code to type on another channel so both reach the same person."""
        await self.session.execute(delete(LinkCodeRow).where(LinkCodeRow.person_id == person.id))
        while True:
            code = new_code(LINK_LENGTH)
            if await self.session.get(LinkCodeRow, code) is None:
                break
        self.session.add(LinkCodeRow(code=code, person_id=person.id, expires_at=expires_at))
        await self.session.flush()
        return code

    async def request_link(
        self, code: str, now: datetime, channel: str, user_id: str
    ) -> PersonRow | None:
        """The owner of a valid `code`; the chat that typed it now waits for their consent."""
        row = await self.session.get(LinkCodeRow, code)
        if row is None or row.expires_at <= now:
            return None
        row.requester_channel, row.requester_user_id = channel, user_id
        await self.session.flush()
        return await self.get(row.person_id)

    async def settle_link(self, code: str, owner_id: int, now: datetime) -> tuple[str, str] | None:
        """The owner answered: the code is used up; the waiting chat, if the code was theirs,
        valid, and someone is waiting."""
        row = await self.session.get(LinkCodeRow, code)
        if row is None or row.person_id != owner_id:
            return None
        await self.session.delete(row)
        await self.session.flush()
        if row.expires_at <= now or not row.requester_channel or not row.requester_user_id:
            return None
        return row.requester_channel, row.requester_user_id

    async def raise_role(self, person: PersonRow, role: str) -> bool:
        """Give `person` at least `role`; True if it changed."""
        if ROLE_RANK[role] <= ROLE_RANK[person.role]:
            return False
        person.role = role
        await self.session.flush()
        return True

    async def set_role(self, person: PersonRow, role: str) -> None:
        person.role = role
        await self.session.flush()

    # --- volunteer profiles -------------------------------------------------------------

    async def profile(self, person_id: int) -> VolunteerRow:
        """The volunteer profile, created with defaults when missing."""
        found = await self.session.get(VolunteerRow, person_id)
        if found is None:
            found = VolunteerRow(person_id=person_id, skills=[], on_duty=False, max_sessions=2)
            self.session.add(found)
            await self.session.flush()
        return found

    async def communes(self, person_id: int) -> list[str]:
        query = select(VolunteerCommuneRow.commune_code).where(
            VolunteerCommuneRow.person_id == person_id
        )
        return sorted((await self.session.execute(query)).scalars())

    async def set_communes(self, person_id: int, codes: Iterable[str]) -> None:
        await self.session.execute(
            delete(VolunteerCommuneRow).where(VolunteerCommuneRow.person_id == person_id)
        )
        for code in sorted(set(codes)):
            self.session.add(VolunteerCommuneRow(person_id=person_id, commune_code=code))
        await self.session.flush()

    async def active_sessions(self, person_id: int) -> int:
        query = select(func.count()).where(
            HelpRequestRow.volunteer_id == person_id, HelpRequestRow.status == "active"
        )
        return int((await self.session.execute(query)).scalar_one())

    async def candidates(self, commune_code: str, topic: str) -> list[Candidate]:
        """Volunteers on duty for this commune with the skill and room for one more session.

        A volunteer with no skills listed helps with everything; "other" goes to everyone.
        """
        query = (
            select(PersonRow, VolunteerRow)
            .join(VolunteerRow, VolunteerRow.person_id == PersonRow.id)
            .join(VolunteerCommuneRow, VolunteerCommuneRow.person_id == PersonRow.id)
            .where(
                VolunteerCommuneRow.commune_code == commune_code,
                VolunteerRow.on_duty.is_(True),
                PersonRow.deleted_at.is_(None),
                PersonRow.role != "citizen",
            )
            .order_by(PersonRow.id)
        )
        found: list[Candidate] = []
        for person, profile in (await self.session.execute(query)).tuples():
            if topic != "other" and profile.skills and topic not in profile.skills:
                continue
            active = await self.active_sessions(person.id)
            if active >= profile.max_sessions:
                continue
            where = await self.reach(person.id)
            if where is None:
                continue
            found.append(Candidate(person, profile, where.channel, where.external_id, active))
        return found

    async def leaders_of(self, team_id: int | None) -> list[PersonRow]:
        if team_id is None:
            return []
        query = select(PersonRow).where(
            PersonRow.team_id == team_id,
            PersonRow.role == "leader",
            PersonRow.deleted_at.is_(None),
        )
        return list((await self.session.execute(query)).scalars())

    async def operators(self) -> list[PersonRow]:
        query = select(PersonRow).where(
            PersonRow.role == "operator", PersonRow.deleted_at.is_(None)
        )
        return list((await self.session.execute(query)).scalars())

    async def set_home_commune(self, person: PersonRow, code: str | None, now: datetime) -> None:
        """Remember (or, with None, forget) the commune a citizen lives in."""
        person.commune_code = code
        person.commune_set_at = now if code is not None else None
        await self.session.flush()

    async def forget(self, person: PersonRow, now: datetime) -> None:
        """Delete what identifies a person; keep anonymous counts for the reports."""
        await self.session.execute(delete(IdentityRow).where(IdentityRow.person_id == person.id))
        await self.session.execute(
            delete(VolunteerCommuneRow).where(VolunteerCommuneRow.person_id == person.id)
        )
        await self.session.execute(
            update(VolunteerRow).where(VolunteerRow.person_id == person.id).values(on_duty=False)
        )
        person.display_name = None
        person.commune_code = None
        person.commune_set_at = None
        person.deleted_at = now
        await self.session.flush()
