"""The dialogue core: an incoming message goes in, replies come out.

Channel-independent by construction: it imports no platform library, keeps no state of its
own between calls (state goes through the ConversationStore), and returns replies as data
for the adapter to send.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot import payloads
from bot.messages import Button, IncomingMessage, Reply
from bot.metrics import Metrics
from bot.ports import ConversationStore, Handoff
from bot.questions import QuestionRecorder
from bot.state import ConversationState
from content import Content
from content.schema import Intent, Topic
from intents import Matcher, MatchResult
from storage.masking import Masked, mask

__all__ = ["MENU_TOPICS", "Dialogue"]

logger = logging.getLogger(__name__)

# The four topic areas of the main menu, in the order citizens see them.
MENU_TOPICS: tuple[Topic, ...] = (
    "public_services",
    "cashless_payment",
    "digital_skills",
    "national_day",
)
HELP_INTENT = "help.request"
MENU_INTENTS = frozenset({"bot.greeting", "bot.capabilities"})
FALLBACKS_BEFORE_PERSON = 2


class Dialogue:
    """Answers citizens from the content; hands them to a person when answers are not enough."""

    def __init__(
        self,
        content: Content,
        matcher: Matcher,
        store: ConversationStore | None = None,
        handoff: Handoff | None = None,
    ) -> None:
        self.content = content
        self.matcher = matcher
        self.store = store
        self.handoff = handoff
        self.text = content.messages
        self.metrics = Metrics()  # records nothing until the web application attaches

    def use(self, content: Content, matcher: Matcher) -> None:
        """Answer from now on with a newly published content (bot/published.py), swapped in
        one synchronous step. A version only adds examples, so its intents are the old ones:
        a message matched just before the swap is still answered correctly after it."""
        self.content, self.matcher, self.text = content, matcher, content.messages

    async def handle(
        self, message: IncomingMessage, store: ConversationStore | None = None
    ) -> list[Reply]:
        """Process one incoming message and return the replies to send, in order.

        `store` overrides the default store for this message: the database-backed store is
        bound to the transaction that handles this one message.
        """
        store = store or self.store
        if store is None:
            raise ValueError("Dialogue.handle needs a conversation store")
        state = await store.load(message.key)
        replies, state = await self.respond(message, state, self.handoff)
        await store.save(message.key, state)
        return replies

    async def respond(
        self,
        message: IncomingMessage,
        state: ConversationState,
        handoff: Handoff | None,
        recorder: QuestionRecorder | None = None,
    ) -> tuple[list[Reply], ConversationState]:
        """The FAQ's answer to one message, given the conversation state; no I/O.

        `handoff` is bound to the current transaction by the caller (it writes a request);
        so is `recorder`, which keeps the decision for the console (question log, missed
        questions).
        """
        if message.kind == "other":
            return [Reply(self.text.not_text)], state
        if message.payload is not None:
            return await self._on_payload(message, state, handoff, recorder)
        return await self._on_text(message, state, handoff, recorder)

    async def _on_text(
        self,
        message: IncomingMessage,
        state: ConversationState,
        handoff: Handoff | None,
        recorder: QuestionRecorder | None = None,
    ) -> tuple[list[Reply], ConversationState]:
        masked = mask(message.text or "")  # once: the log, the state and the warning
        replies, state = await self._answer_text(message, state, handoff, recorder, masked)
        if masked.secret:
            # Someone may be coaching the citizen to pass on a code: say so first.
            replies = [Reply(self.text.secret_warning), *replies]
        return replies, state

    async def _answer_text(
        self,
        message: IncomingMessage,
        state: ConversationState,
        handoff: Handoff | None,
        recorder: QuestionRecorder | None = None,
        masked: Masked | None = None,
    ) -> tuple[list[Reply], ConversationState]:
        result = self.matcher.match(message.text or "")
        # Log the decision, never the citizen's words.
        logger.info(
            "match channel=%s action=%s intent=%s score=%.3f also=%s",
            message.key.channel,
            result.action,
            result.intent,
            result.score,
            result.also.intent if result.also else None,
        )
        self.metrics.answered(message.key.channel, result.action)
        if recorder is not None:
            # Masked before it goes anywhere; kept in the state only until the next feedback.
            kept = (masked or mask(message.text or "")).text[:500]
            recorder.asked(result.action, result.intent, kept)
            state = replace(state, last_question=kept if result.intent else None)
        if result.intent is None:
            return self._fallback(state)
        if result.action == "clarify":
            return self._clarify(result, state)
        replies, state = await self._answer(result.intent, message, state, handoff)
        second = result.also
        if second is not None and second.intent is not None and state.flow is None:
            # Two questions in one message: answer both, in turn, never drop one silently; a
            # second question the bot is unsure of gets "did you mean".
            if second.action == "clarify":
                more, state = self._clarify(second, state)
            else:
                more, state = await self._answer(second.intent, message, state, handoff)
            if more:
                first = more[0]
                more[0] = replace(first, text=f"{self.text.second_question}\n{first.text}")
            replies = [*replies, *more]
        return replies, state

    async def _on_payload(
        self,
        message: IncomingMessage,
        state: ConversationState,
        handoff: Handoff | None,
        recorder: QuestionRecorder | None = None,
    ) -> tuple[list[Reply], ConversationState]:
        payload = payloads.parse(message.payload or "")
        if payload is None:
            return [self._with_menu(self.text.expired_button)], state
        match payload.action:
            case "answer":
                if payload.value not in self.content.intents:
                    return [self._with_menu(self.text.expired_button)], state
                return await self._answer(payload.value, message, state, handoff)
            case "topic":
                return [self._topic_menu(payload.value)], state
            case "sources":
                intent = self.content.intents.get(payload.value)
                if intent is None:
                    return [self._with_menu(self.text.expired_button)], state
                return [self._sources(intent)], state
            case "menu":
                return [self._main_menu(self.text.menu_prompt)], state
            case "none":
                if recorder is not None:
                    recorder.feedback("none", None, state.last_question)
                return self._fallback(replace(state, pending_choices=(), last_question=None))
            case "person":
                return await self._person(message, state, handoff)
            case "helpful" | "unhelpful":
                helpful = payload.action == "helpful"
                logger.info("feedback intent=%s helpful=%s", payload.value, helpful)
                if recorder is not None:
                    recorder.feedback(payload.action, payload.value, state.last_question)
                    state = replace(state, last_question=None)
                if helpful:
                    return [Reply(self.text.feedback_thanks)], state
                return [self._offer_person(self.text.feedback_sorry)], state
        return [self._with_menu(self.text.expired_button)], state

    async def _answer(
        self,
        intent_id: str,
        message: IncomingMessage,
        state: ConversationState,
        handoff: Handoff | None,
    ) -> tuple[list[Reply], ConversationState]:
        intent = self.content.intents[intent_id]
        if intent.out_of_scope:
            # A topic the bot does not cover, said politely: not a misunderstanding, so it
            # neither counts towards offering a volunteer nor resets that count.
            return [self._answer_reply(intent)], replace(state, pending_choices=())
        state = replace(state, fallback_streak=0, pending_choices=(), last_intent=intent_id)
        if intent_id == HELP_INTENT:
            return await self._person(message, state, handoff)
        if intent_id in MENU_INTENTS:
            return [self._main_menu(intent.answer)], state
        return [self._answer_reply(intent)], state

    def answer_replies(self, intent: Intent) -> tuple[Reply, Reply]:
        """The answer to `intent` and its sources as a citizen gets them; the intent need not
        be in the content yet (the content studio previews an edit with it)."""
        return self._answer_reply(intent), self._sources(intent)

    def _answer_reply(self, intent: Intent) -> Reply:
        buttons = [self._intent_button(i) for i in intent.follow_ups if i in self.content.intents]
        if intent.out_of_scope or intent.topic == "bot":
            buttons.append(Button(self.text.menu_button, payloads.encode("menu")))
        else:
            buttons.append(Button(self.text.helpful_button, payloads.encode("helpful", intent.id)))
            buttons.append(
                Button(self.text.unhelpful_button, payloads.encode("unhelpful", intent.id))
            )
            buttons.append(Button(self.text.sources_button, payloads.encode("sources", intent.id)))
        return Reply(intent.answer, tuple(buttons), intent=intent.id)

    def _sources(self, intent: Intent) -> Reply:
        """Where an answer's facts come from, and when a person last checked it."""
        lines = [self.text.sources_heading.format(title=intent.title)]
        for source in intent.sources:
            lines.append(f"- {source.title} ({source.date:%d/%m/%Y}): {source.url}")
        lines.append(self.text.sources_checked.format(date=f"{intent.reviewed:%d/%m/%Y}"))
        return Reply("\n".join(lines), (Button(self.text.menu_button, payloads.encode("menu")),))

    def _clarify(
        self, result: MatchResult, state: ConversationState
    ) -> tuple[list[Reply], ConversationState]:
        choices = tuple(c.intent for c in result.choices)
        buttons = [self._intent_button(intent_id) for intent_id in choices]
        buttons.append(Button(self.text.none_of_these, payloads.encode("none")))
        state = replace(state, pending_choices=choices)
        return [Reply(self.text.clarify_prompt, tuple(buttons))], state

    def _fallback(self, state: ConversationState) -> tuple[list[Reply], ConversationState]:
        streak = state.fallback_streak + 1
        state = replace(state, fallback_streak=streak, pending_choices=())
        if streak >= FALLBACKS_BEFORE_PERSON:
            return [self._offer_person(self.text.fallback_offer_person)], state
        # The first time: say in one line what the bot covers, and show the topics (a volunteer
        # is offered after a second misunderstanding, or when the citizen asks for one).
        return [Reply(self.text.fallback, self._topic_buttons())], state

    async def _person(
        self, message: IncomingMessage, state: ConversationState, handoff: Handoff | None
    ) -> tuple[list[Reply], ConversationState]:
        state = replace(state, fallback_streak=0, pending_choices=())
        if handoff is not None:
            return await handoff.start(message, state)
        buttons: list[Button] = []
        if "team.contact" in self.content.intents:
            buttons.append(self._intent_button("team.contact"))
        buttons.append(Button(self.text.menu_button, payloads.encode("menu")))
        return [Reply(self.text.handoff_unavailable, tuple(buttons), intent=HELP_INTENT)], state

    def welcome(self) -> Reply:
        """The greeting with the main menu (/start)."""
        return self._main_menu(self.text.greeting)

    def menu(self) -> Reply:
        """The main menu (/menu)."""
        return self._main_menu(self.text.menu_prompt)

    def _topic_buttons(self) -> tuple[Button, ...]:
        titles = self.text.topic_titles
        return tuple(Button(titles[t], payloads.encode("topic", t)) for t in MENU_TOPICS)

    def _main_menu(self, text: str) -> Reply:
        buttons = (
            *self._topic_buttons(),
            Button(self.text.person_button, payloads.encode("person")),
        )
        return Reply(text, buttons)

    def _topic_menu(self, topic: str) -> Reply:
        intents = self.content.in_topic(topic)
        if not intents or topic not in MENU_TOPICS:  # old or forged button
            return self._main_menu(self.text.menu_prompt)
        buttons = [self._intent_button(intent.id) for intent in intents]
        buttons.append(Button(self.text.menu_button, payloads.encode("menu")))
        return Reply(self.text.topic_prompt, tuple(buttons))

    def _offer_person(self, text: str) -> Reply:
        buttons = (
            Button(self.text.person_button, payloads.encode("person")),
            Button(self.text.menu_button, payloads.encode("menu")),
        )
        return Reply(text, buttons)

    def _with_menu(self, text: str) -> Reply:
        return Reply(text, (Button(self.text.menu_button, payloads.encode("menu")),))

    def _intent_button(self, intent_id: str) -> Button:
        return Button(self.content.intents[intent_id].title, payloads.encode("answer", intent_id))
