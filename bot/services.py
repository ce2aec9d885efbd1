"""Compose the bot from settings: content, matcher, places, database, core. No globals."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.assistant import Assistant, ReportMaker
from bot.delivery import LEASE, Dispatcher, Sender, as_reply
from bot.dialogue import Dialogue
from bot.features.console.links import ChatLogin
from bot.features.reports.chat import ChatReports
from bot.matching import build_matcher, thresholds_of
from bot.messages import IncomingMessage, Reply, plain_buttons
from bot.metrics import Metrics, observed
from bot.published import LiveContent
from bot.send_budget import SendBudget, parse_rates
from bot.settings import Settings
from bot.state import ConversationState
from bot.support.common import SupportConfig, Toolkit, Turn
from content import Content, load_content
from content.published import apply_overlay, read_published
from intents import Matcher
from intents.places import Places
from storage import ConversationRepository, create_engine, session_factory
from storage.attempts import AttemptRepository
from storage.console import ConsoleRepository
from storage.conversations import forget_idle_before
from storage.first_read import first_read
from storage.inbox import InboxRepository
from storage.inbox_claims import AlreadyHandled, InboxClaims
from storage.inbox_writer import InboxWriter
from storage.models import OutboxRow, utcnow
from storage.outbox import NewReply, OutboxRepository
from storage.people import PeopleRepository
from storage.questions import QuestionLogRepository
from storage.support import HelpRequestRepository
from storage.timers import TimerRepository
from storage.updates import forget_updates_before

__all__ = [
    "Bot",
    "Clock",
    "Delivery",
    "Services",
    "build_matcher",
    "compose",
    "conversation_store",
    "prepare",
    "support_config",
    "thresholds_of",
]

logger = logging.getLogger(__name__)
UNDELIVERABLE_TEXTS = {
    "blocked": "undeliverable_blocked",
    "window": "undeliverable_window",
    "quota": "undeliverable_quota",
    "other": "undeliverable_other",
}
Clock = Callable[[], datetime]
# A channel's reading of a message inside the answering transaction.
Resolve = Callable[[AsyncSession, IncomingMessage], Awaitable[IncomingMessage]]
Silent = Callable[[AsyncSession, IncomingMessage], Awaitable[None]]
UPDATE_MEMORY = timedelta(days=7)
ATTEMPT_MEMORY = timedelta(days=1)  # failed code attempts: far longer than any lockout
CONSOLE_IDLE = timedelta(hours=1)  # web console sessions idle this long have expired anyway


def system_clock() -> datetime:
    return datetime.now(UTC)


def support_config(settings: Settings) -> SupportConfig:
    return SupportConfig(
        claim_timeout=timedelta(minutes=settings.claim_timeout_minutes),
        giveup_timeout=timedelta(minutes=settings.giveup_timeout_minutes),
        idle_timeout=timedelta(minutes=settings.idle_timeout_minutes),
        invite_days=settings.invite_days,
        operators=settings.operator_ids,
        retention_days=settings.retention_days,
    )


def _restore(data: Mapping[str, Any]) -> ConversationState:
    return ConversationState.from_json(data)


def queued(replies: Sequence[Reply], numbered: bool = False) -> list[NewReply]:
    """An answer's replies as outbox rows. Where choices are typed numbers (`numbered`), the
    answer starts a new menu: its first reply's choices from 1, each later one's after the
    earlier ones."""
    rows: list[NewReply] = []
    menu_from = 1
    for reply in replies:
        attachment = reply.attachment
        rows.append(
            NewReply(
                reply.text,
                [(b.title, b.payload) for b in reply.buttons],
                edit_of=int(reply.edit_of) if reply.edit_of else None,
                attachment=(
                    (attachment.filename, attachment.media_type, attachment.data)
                    if attachment is not None
                    else None
                ),
                menu_from=menu_from if numbered else None,
            )
        )
        menu_from += len(plain_buttons(reply.buttons))
    return rows


def conversation_store(
    session: AsyncSession, clock: Callable[[], datetime] = utcnow
) -> ConversationRepository[ConversationState]:
    """The database-backed conversation store, bound to one transaction."""
    return ConversationRepository(session, ConversationState.to_json, _restore, clock)


@dataclass(frozen=True)
class Answered:
    """What `Bot.answer` did: how many replies, and the chat's rows now leased for sending."""

    replies: int
    leased: list[OutboxRow]
    # Rows were queued that the caller does not send itself (a volunteer's notice, replies
    # left pending): the channel's dispatcher must be woken to send them.
    others: bool = False
    # The writer's role is not the one their command menu shows (it changed, now or before).
    menu_behind: bool = False

    def __len__(self) -> int:
        return self.replies


@dataclass(frozen=True)
class Delivery:
    """A stored outgoing message handed to a channel adapter."""

    outbox_id: int
    channel: str
    external_id: str
    reply: Reply


class Bot:
    """Handles each incoming message in one database transaction, so any worker can serve it.

    `metrics` is the dialogue's: one object for the FAQ's decisions, the handling of each
    message and the dispatchers' failed sends, whatever records them (see bot/metrics.py).
    """

    def __init__(
        self,
        assistant: Assistant,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = system_clock,
        retention: timedelta = timedelta(days=180),
        inbox: InboxWriter | None = None,
        send_rates: Mapping[str, int] | None = None,
    ) -> None:
        self.assistant = assistant
        self.sessions = sessions
        self.clock = clock
        self.retention = retention
        # Webhook deliveries are stored through it: together when they arrive together.
        self.inbox = inbox or InboxWriter(sessions)
        # Webhook deliveries being received right now: the inbox processors make room for
        # them (bot/inbox_processor.py), so a burst is acknowledged first and answered after.
        self.receiving = 0
        # Messages a second each platform accepts from all workers together (bot/send_budget.py).
        self.send_rates = dict(send_rates or {})
        self.metrics: Metrics = assistant.dialogue.metrics
        # The published content (bot/published.py): checked by every background round.
        self.live = LiveContent(assistant.dialogue.content, assistant.dialogue, sessions)

    async def refresh_content(self) -> bool:
        """Take up a newly published content version (one query when nothing changed)."""
        return await self.live.refresh()

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Load state, answer, save state and queue notifications: all or nothing."""
        async with self.sessions.begin() as session:
            return await self.assistant.handle(
                message, session, conversation_store(session, self.clock), self.clock()
            )

    @observed
    async def answer(
        self,
        message: IncomingMessage,
        *,
        resolve: Resolve | None = None,
        silent: Silent | None = None,
        numbered: bool = False,
        lease: timedelta | None = LEASE,
        stored: bool = False,
        event_id: int | None = None,
    ) -> Answered:
        """Answer a message from a network channel: the replies go to the outbox.

        State, effects, replies and the webhook delivery's settlement commit together, so a
        crash at any point either loses nothing or repeats nothing. `resolve` lets the
        channel read the message in the same transaction (a typed number names a choice);
        `silent`, when the answer sends the person nothing (words relayed to a volunteer).
        `numbered`: the channel shows choices as numbers to type; the numbers the answer's
        replies show (`Reply.menu_from`) are stored with it, so the sends touch no menu.
        With `lease`, the chat's pending rows (these replies, and anything queued for it
        before) are taken for sending in that transaction too, and returned in order: the
        caller sends them at once, with no second round trip to find them.

        `stored`: the message is a webhook delivery in the inbox. Settling its row first is
        then what makes it answered once (a second worker replaying it finds it settled).
        `event_id`: that row, taken by the inbox processor (bot/inbox_processor.py): settled
        by its id, whatever the message carries.
        """
        try:
            return await self._answer(
                message, resolve, silent, numbered, lease, stored or event_id is not None, event_id
            )
        except AlreadyHandled:  # rolled back: another worker answered it
            logger.info("already handled channel=%s event=%s", message.key.channel, event_id)
            return Answered(0, [])

    async def _answer(
        self,
        message: IncomingMessage,
        resolve: Resolve | None,
        silent: Silent | None,
        numbered: bool,
        lease: timedelta | None,
        stored: bool,
        event_id: int | None,
    ) -> Answered:
        now = self.clock()
        key = message.key
        async with self.sessions.begin() as session:
            if event_id is not None:
                # On PostgreSQL one statement settles the row, locks the conversation and
                # reads the person (storage/first_read.py): two round trips less.
                if session.get_bind().dialect.name == "postgresql":
                    await first_read(session, key.channel, key.user_id, now, event_id)
                elif not await InboxClaims(session).settle(event_id, now):
                    raise AlreadyHandled
            elif stored and message.message_id:
                inbox = InboxRepository(session)
                if not await inbox.mark_handled(key.channel, message.message_id, now):
                    logger.info(
                        "already handled channel=%s id=%s", key.channel, message.message_id
                    )
                    return Answered(0, [])
            if resolve is not None:
                message = await resolve(session, message)
            log = QuestionLogRepository.defer(session)  # written with the replies, below
            saves = ConversationRepository.defer(session)  # so is the conversation's state
            replies = await self.assistant.handle(
                message, session, conversation_store(session, self.clock), now, deduplicated=stored
            )
            others = OutboxRepository.added(session) > 0  # queued while answering
            if silent is not None and not replies:
                await silent(session, message)
            if message.message_id and not stored:
                await InboxRepository(session).mark_handled(key.channel, message.message_id, now)
            held = lease is not None and message.kind != "left"
            leased = await OutboxRepository(session).add_replies(
                key.channel,
                key.user_id,
                queued(replies, numbered),
                now=now,
                lease=lease if held else None,
                log=log,
                saved=list(saves.values()),
                # A new menu (empty: the numbers shown before are words now).
                menu=(
                    [b.payload for reply in replies for b in plain_buttons(reply.buttons)]
                    if numbered and replies
                    else None
                ),
            )
            behind = PeopleRepository.menu_behind(session)
            if not held:
                return Answered(len(replies), [], others or bool(replies), behind)
            return Answered(len(replies), leased, others, behind)

    async def settle_delivery(self, channel: str, external_id: str) -> None:
        """A stored webhook delivery that needs no answer (a status event) is done."""
        async with self.sessions.begin() as session:
            await InboxRepository(session).mark_handled(channel, external_id, self.clock())

    async def settle_event(self, event_id: int) -> None:
        """A stored delivery taken by the inbox processor that needs no answer is done."""
        async with self.sessions.begin() as session:
            await InboxClaims(session).settle(event_id, self.clock())

    async def give_up(self, channel: str, max_attempts: int) -> int:
        """Deliveries that failed every replay: settle them and tell each sender, once.

        The only place the bot apologises for a message of a webhook channel: a delivery
        that failed because the database or a worker was down is replayed, not apologised
        for, so the citizen is never asked to send again what will be answered anyway.

        A delivery given up is a message the bot never answered, so it is made visible: an
        ERROR log line per delivery (ids only), the `trolyso_deliveries_given_up_total`
        counter, and one chat message to the operators per round, in the same transaction.
        """
        now = self.clock()
        async with self.sessions.begin() as session:
            inbox = InboxRepository(session)
            rows = await inbox.exhausted(channel, max_attempts, now=now)
            if not rows:
                return 0
            outbox = OutboxRepository(session)
            for row in rows:
                if row.chat:
                    await outbox.add(
                        channel, row.chat, self.assistant.t("message_given_up"), now=now
                    )
                await inbox.settle(row.id, now)
            told = await self._alert(
                session, now, "deliveries_given_up", channel=channel, count=str(len(rows))
            )
        for row in rows:
            logger.error(
                "delivery given up channel=%s event=%s attempts=%d operators_told=%d",
                channel,
                row.id,
                row.attempts,
                told,
            )
        self.metrics.given_up(channel, len(rows))
        return len(rows)

    async def alert_operators(self, key: str, **fields: str) -> int:
        """Tell every operator about a fault that needs a person (a revoked channel token)."""
        async with self.sessions.begin() as session:
            reached = await self._alert(session, self.clock(), key, **fields)
        logger.error("operators alerted key=%s reached=%d", key, reached)
        return reached

    async def _alert(self, session: AsyncSession, now: datetime, key: str, **fields: str) -> int:
        """Queue the text `key` for every operator; how many could be reached."""
        reply = Reply(self.assistant.t(key, **fields))
        turn = Turn.open(session, now)
        operators = await turn.people.operators()
        return sum([await turn.notify_person(person.id, reply) for person in operators])

    def dispatcher(self, sender: Sender, **options: Any) -> Dispatcher:
        """The outbox dispatcher for one channel, with the bot's own wording for failures."""
        t = self.assistant.t

        def notice(kind: str) -> str:
            return t(UNDELIVERABLE_TEXTS.get(kind, "undeliverable_other"))

        options.setdefault("metrics", self.metrics)
        rate = self.send_rates.get(sender.channel)
        if rate is not None:
            options.setdefault(
                "budget", SendBudget(self.sessions, sender.channel, rate, self.clock)
            )
        return Dispatcher(self.sessions, sender, self.clock, notice, **options)

    async def run_due_timers(self, limit: int = 100) -> int:
        """Run every timer whose time has come, each in its own transaction."""
        now = self.clock()
        async with self.sessions.begin() as session:
            due = [timer.id for timer in await TimerRepository(session).due(now, limit)]
        for timer_id in due:
            async with self.sessions.begin() as session:
                await self.assistant.run_timer(session, timer_id, now)
        return len(due)

    async def take_outgoing(
        self, channel: str, external_id: str | None = None, limit: int = 50
    ) -> list[Delivery]:
        """Pending notifications for a channel (or one person), marked sent on the way out.

        For adapters whose send cannot fail (console, tests). Network channels use
        `OutboxRepository.pending` and settle each row after the platform answered.
        """
        async with self.sessions.begin() as session:
            outbox = OutboxRepository(session)
            rows = await outbox.pending(channel, external_id, limit)
            deliveries = [Delivery(r.id, r.channel, r.external_id, as_reply(r)) for r in rows]
            for row in rows:
                await outbox.mark_sent(row, self.clock(), platform_message_id=str(row.id))
        return deliveries

    async def purge(self) -> dict[str, int]:
        """Apply the retention period, each table through its own repository, in one
        transaction: relayed messages, settled outgoing messages, request descriptions and
        phone numbers, done timers; old delivery ids and failed code attempts sooner."""
        now = self.clock()
        before = now - self.retention
        async with self.sessions.begin() as session:
            requests = HelpRequestRepository(session)
            counts = {
                "messages": await requests.purge_messages(before),
                "notifications": await OutboxRepository(session).forget_settled_before(before),
                "descriptions": await requests.forget_details_before(before),
                "update_ids": await forget_updates_before(session, now - UPDATE_MEMORY)
                + await InboxRepository(session).forget_before(now - UPDATE_MEMORY),
                "timers": await TimerRepository(session).forget_done_before(before),
                "attempts": await AttemptRepository(session).forget_before(now - ATTEMPT_MEMORY),
                "questions": await QuestionLogRepository(session).purge(before),
                # A conversation silent for the whole retention period starts afresh (its state
                # may hold the last question asked, masked, for a 👎 that never came).
                "conversations": await forget_idle_before(session, before),
            }
            await ConsoleRepository(session).forget_expired(now, now - CONSOLE_IDLE)
        logger.info("purge %s", counts)
        return counts


@dataclass(frozen=True)
class Services:
    """The composed application, handed to whichever channel runs."""

    settings: Settings
    content: Content
    matcher: Matcher
    places: Places
    engine: AsyncEngine
    bot: Bot
    inbox_engine: AsyncEngine | None = None  # the webhooks' own small pool (PostgreSQL)

    async def aclose(self) -> None:
        """Release database connections."""
        await self.engine.dispose()
        if self.inbox_engine is not None:
            await self.inbox_engine.dispose()


def compose(
    settings: Settings,
    clock: Clock = system_clock,
    report_maker: ReportMaker | None = None,
) -> Services:
    """Build every service the bot needs from its settings (the schema must be up to date)."""
    baseline = load_content(Path(settings.content_dir), settings.cache_dir)
    # Start from the version the data folder records; the first round checks the database.
    published = read_published(settings.data_dir)
    content = apply_overlay(baseline, published)
    matcher = build_matcher(content, settings.cache_dir)
    places = Places.load(provinces=settings.province_list)
    url = settings.resolved_database_url()
    engine = create_engine(url, pool_size=settings.db_pool_size)
    # On PostgreSQL the webhooks store deliveries on a pool of their own: a burst's
    # acknowledgements never wait for a connection the answering holds. SQLite has one writer.
    inbox_engine = None if url.startswith("sqlite") else create_engine(url, pool_size=2)
    kit = Toolkit(content.support, places, support_config(settings))
    assistant = Assistant(
        Dialogue(content, matcher),
        kit,
        report_maker or ChatReports(kit),
        login_maker=ChatLogin(settings.public_url, content.support),
    )
    bot = Bot(
        assistant,
        session_factory(engine),
        clock,
        retention=timedelta(days=settings.retention_days),
        inbox=InboxWriter(session_factory(inbox_engine)) if inbox_engine is not None else None,
        send_rates=parse_rates(settings.send_rates),
    )
    bot.live = LiveContent(
        baseline,
        assistant.dialogue,
        bot.sessions,
        data_dir=settings.data_dir,
        cache_dir=settings.cache_dir,
        version=published.version if published else 0,
    )
    return Services(
        settings=settings,
        content=content,
        matcher=matcher,
        places=places,
        engine=engine,
        bot=bot,
        inbox_engine=inbox_engine,
    )


def prepare(settings: Settings) -> Services:
    """Migrate the schema, then compose: what every command that serves people does first
    (`make run` on a fresh machine just works)."""
    from storage.migrate import upgrade

    upgrade(settings.resolved_database_url())
    return compose(settings)
