"""What every support step needs: the transaction's repositories, the clock, texts, buttons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import payloads
from bot.messages import Button, Reply
from content.support_texts import SupportTexts
from intents.places import Places
from storage.attempts import AttemptRepository
from storage.audit import AuditRepository
from storage.codes import normalize_code
from storage.models import HelpRequestRow
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.support import HelpRequestRepository
from storage.teams import TeamRepository
from storage.timers import TimerRepository
from storage.vocabulary import MODES, TOPICS

__all__ = [
    "SupportConfig",
    "Toolkit",
    "Turn",
    "channel_name",
    "checkbox_buttons",
    "command_button",
    "form_button",
    "same_ref",
    "show_ref",
    "toggled",
    "typed_number",
]


@dataclass(frozen=True)
class SupportConfig:
    """Timers and limits, from the settings."""

    claim_timeout: timedelta = timedelta(minutes=15)
    giveup_timeout: timedelta = timedelta(minutes=60)
    idle_timeout: timedelta = timedelta(minutes=30)
    invite_days: int = 7
    max_invite_uses: int = 50
    operators: frozenset[str] = field(default_factory=frozenset)  # "channel:external_id"
    retention_days: int = 180  # what the consent text promises: contact data is kept this long


@dataclass
class Turn:
    """One transaction's view of the database, and the time it happens at."""

    session: AsyncSession
    now: datetime
    people: PeopleRepository
    requests: HelpRequestRepository
    outbox: OutboxRepository
    timers: TimerRepository
    audit: AuditRepository
    teams: TeamRepository
    attempts: AttemptRepository

    @classmethod
    def open(cls, session: AsyncSession, now: datetime) -> Turn:
        return cls(
            session=session,
            now=now,
            people=PeopleRepository(session),
            requests=HelpRequestRepository(session),
            outbox=OutboxRepository(session),
            timers=TimerRepository(session),
            audit=AuditRepository(session),
            teams=TeamRepository(session),
            attempts=AttemptRepository(session),
        )

    async def notify(
        self,
        channel: str,
        external_id: str,
        reply: Reply,
        *,
        tag: str | None = None,
        edit_of: int | None = None,
        sender_id: int | None = None,
    ) -> int:
        """Queue a message for someone other than the current sender; returns its outbox id."""
        row = await self.outbox.add(
            channel,
            external_id,
            reply.text,
            [(b.title, b.payload) for b in reply.buttons],
            now=self.now,
            tag=tag,
            edit_of=edit_of,
            sender_id=sender_id,
        )
        return row.id

    async def notify_person(self, person_id: int, reply: Reply, **kwargs: Any) -> bool:
        """Queue a message on the channel the person used last; False if unreachable."""
        where = await self.people.reach(person_id)
        if where is None:
            return False
        await self.notify(where.channel, where.external_id, reply, **kwargs)
        return True


@dataclass(frozen=True)
class Toolkit:
    """The static parts shared by every support module: texts, places, configuration."""

    texts: SupportTexts
    places: Places
    config: SupportConfig

    def describe(self, request: HelpRequestRow, *, with_phone: bool) -> str:
        """A request as a volunteer reads it: pseudonym and code, never the citizen's id."""
        commune = self.places.commune(request.commune_code)
        lines = [
            self.texts("request_summary_head", ref=show_ref(request.ref), name=request.pseudonym),
            self.texts("request_summary_topic", topic=TOPICS.get(request.topic, request.topic)),
            self.texts(
                "request_summary_place",
                place=commune.label if commune else request.commune_code,
            ),
            self.texts("request_summary_mode", mode=MODES.get(request.mode, request.mode)),
        ]
        if request.description:
            lines.append(self.texts("request_summary_description", text=request.description))
        if with_phone and request.phone:
            lines.append(self.texts("request_summary_phone", phone=request.phone))
        return "\n".join(lines)


def typed_number(text: str) -> int | None:
    """A plain whole number as typed ("12"); None for "-1", "2.5", "²" or 5,000 digits.

    `str.isdigit` accepts "²", which `int` refuses, and `int` refuses more than 4,300 digits:
    both once crashed a command.
    """
    text = text.strip()
    if not text.isdecimal() or len(text) > 9:
        return None
    return int(text)


def show_ref(ref: str) -> str:
    """HT7K4P -> HT-7K4P, easier to read aloud."""
    return f"{ref[:2]}-{ref[2:]}" if len(ref) > 2 else ref


def form_button(title: str, step: str, value: str) -> Button:
    """A button answering the current form question."""
    return Button(title, payloads.encode("form", f"{step}:{value}"))


CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "zalobot": "Zalo", "console": "máy tính"}


def channel_name(channel: str) -> str:
    """How a person names a channel ("Telegram", "Zalo")."""
    return CHANNEL_NAMES.get(channel, channel)


def command_button(title: str, command: str, *args: str) -> Button:
    """A button that does what typing the command would do."""
    return Button(title, payloads.encode("command", " ".join((command, *args))))


def toggled(selected: list[str], item: str) -> list[str]:
    """A multi-choice answer after pressing `item`: on if it was off, off if it was on."""
    return [s for s in selected if s != item] if item in selected else [*selected, item]


def checkbox_buttons(
    step: str, options: Iterable[tuple[str, str]], selected: list[str]
) -> list[Button]:
    """Multi-choice buttons (☑/☐) for one form question."""
    return [
        form_button(("☑ " if value in selected else "☐ ") + title, step, value)
        for value, title in options
    ]


def same_ref(a: str, b: str) -> bool:
    """Two reference codes as people type them ("ht-7k4p", "HT7K4P") name the same request."""
    return normalize_code(a) == normalize_code(b)


def choices(step: str, options: Iterable[tuple[str, str]], *extra: Button) -> tuple[Button, ...]:
    """Buttons for (value, title) options of one form question."""
    return (*(form_button(title, step, value) for value, title in options), *extra)
