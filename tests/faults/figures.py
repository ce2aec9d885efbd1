"""Count what a fault did: from the platform's log of sent messages and the bot's database.

An update is identified by (chat, intent): no chat asks the same question twice, and every
reply starts with the first line of its intent's answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select

from storage import create_engine
from storage.models import InboundEventRow, OutboxRow
from tests.faults.harness import Question, Update
from tests.faults.platform import Sent

__all__ = ["Figures", "Recognizer", "Snapshot", "count", "snapshot"]

Key = tuple[str, str]  # chat, intent


class Recognizer:
    """Which question a message answers, or whether it is the apology."""

    def __init__(self, asked: Iterable[Question], apology: str) -> None:
        self.markers = [(q.marker, q.intent) for q in asked]
        self.apology = apology.strip()

    def intent(self, text: str) -> str | None:
        for marker, intent in self.markers:
            if text.startswith(marker):
                return intent
        return None

    def is_apology(self, text: str) -> bool:
        return text.strip() == self.apology


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The database at one moment: which deliveries are handled, and the outbox."""

    handled: frozenset[str]  # message ids with handled_at set
    stored: frozenset[str]  # message ids stored at all
    outbox: tuple[tuple[Key, str], ...]  # ((chat, intent), status) per reply row

    def unsettled_but_delivered(self, delivered: Iterable[Key]) -> int:
        """Rows still pending whose message already reached the platform: each one will be
        sent again (at least once delivery), so each is a duplicate send to come."""
        seen = set(delivered)
        return sum(1 for key, status in self.outbox if status == "pending" and key in seen)


async def snapshot(url: str, recognizer: Recognizer) -> Snapshot:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            events = (
                await connection.execute(
                    select(InboundEventRow.external_id, InboundEventRow.handled_at).where(
                        InboundEventRow.channel == "zalobot"
                    )
                )
            ).all()
            rows = (
                await connection.execute(
                    select(OutboxRow.external_id, OutboxRow.text, OutboxRow.status)
                    .where(OutboxRow.channel == "zalobot")
                    .order_by(OutboxRow.id)
                )
            ).all()
    finally:
        await engine.dispose()
    outbox = tuple(((chat, recognizer.intent(text) or "?"), status) for chat, text, status in rows)
    return Snapshot(
        handled=frozenset(mid for mid, at in events if at is not None),
        stored=frozenset(mid for mid, _ in events),
        outbox=outbox,
    )


def delivered(messages: Iterable[Sent], recognizer: Recognizer) -> set[Key]:
    found = ((m.chat, recognizer.intent(m.text)) for m in messages)
    return {(chat, intent) for chat, intent in found if intent is not None}


@dataclass(frozen=True, slots=True)
class Figures:
    """The closing note's figures for one run."""

    scenario: str
    database: str
    updates: int
    acknowledged: int  # got a 200 (perhaps after redeliveries)
    handled: int  # acknowledged and settled in the database (handled_at set)
    lost: int  # acknowledged, never answered by the deadline
    late: int  # of the lost: the reply waits in the outbox (e.g. behind a lease)
    processed_twice: int  # updates whose effects (reply rows) were stored more than once
    duplicate_sends: int  # messages the platform got beyond one per update, plus those due
    due_duplicates: int  # of the duplicates: not sent yet, but pending after delivery
    apologies: int
    unexpected: int  # messages that answer none of the questions
    in_flight: int  # at the fault: delivered but not recorded as sent (see the tests)
    redeliveries: int  # posts beyond the first (refused, unanswered, or repeated on purpose)
    recovered_in: float | None  # seconds from the fault until every reply had arrived
    seconds: float

    def as_row(self) -> dict[str, object]:
        return asdict(self)

    def violations(self) -> list[str]:
        """Every promise broken: each acknowledged update answered exactly once, no apology."""
        checks = [
            (self.acknowledged == self.updates, "some updates were never acknowledged"),
            (self.handled == self.acknowledged, "acknowledged updates left unhandled"),
            (self.processed_twice == 0, f"{self.processed_twice} updates processed twice"),
            (
                self.lost == 0,
                f"{self.lost} acknowledged updates unanswered after the deadline "
                f"({self.late} of them waiting in the outbox)",
            ),
            (
                self.duplicate_sends <= self.in_flight,
                f"{self.duplicate_sends} duplicate sends, more than the {self.in_flight} "
                "in flight at the fault",
            ),
            (self.apologies == 0, f"{self.apologies} apologies sent"),
            (self.unexpected == 0, f"{self.unexpected} unexpected messages"),
        ]
        return [text for ok, text in checks if not ok]


def count(
    *,
    scenario: str,
    database: str,
    streams: Sequence[Sequence[Update]],
    acknowledged: Sequence[Update],
    messages: Sequence[Sent],
    final: Snapshot,
    recognizer: Recognizer,
    in_flight: int,
    redeliveries: int,
    recovered_in: float | None,
    seconds: float,
) -> Figures:
    """Compare what was acknowledged with what was stored and what the platform received."""
    received: Counter[Key] = Counter()
    apologies = unexpected = 0
    for message in messages:
        intent = recognizer.intent(message.text)
        if intent is not None:
            received[(message.chat, intent)] += 1
        elif recognizer.is_apology(message.text):
            apologies += 1
        else:
            unexpected += 1
    rows = Counter(key for key, _ in final.outbox)
    pending = {key for key, status in final.outbox if status == "pending"}
    keys = [(u.chat, u.question.intent) for u in acknowledged]
    lost = [key for key in keys if not received[key]]
    due = final.unsettled_but_delivered(received)
    every = [(u.chat, u.question.intent) for stream in streams for u in stream]
    return Figures(
        scenario=scenario,
        database=database,
        updates=len(every),
        acknowledged=len(acknowledged),
        handled=sum(1 for u in acknowledged if u.message_id in final.handled),
        lost=len(lost),
        late=sum(1 for key in lost if key in pending),
        processed_twice=sum(1 for key in every if rows[key] > 1),
        duplicate_sends=sum(max(0, received[key] - 1) for key in every) + due,
        due_duplicates=due,
        apologies=apologies,
        unexpected=unexpected + sum(n for key, n in rows.items() if key[1] == "?"),
        in_flight=in_flight,
        redeliveries=redeliveries,
        recovered_in=None if recovered_in is None else round(recovered_in, 1),
        seconds=round(seconds, 1),
    )
