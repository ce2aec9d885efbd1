"""The strict schema of operator-edited content files.

Every model forbids unknown fields, so a typo such as `exmaples` is an error an operator sees,
not a silently ignored key.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_PAYLOAD_BYTES",
    "MAX_TITLE_CHARS",
    "MIN_EXAMPLES",
    "TOPICS",
    "FaqFile",
    "Intent",
    "MatchingConfig",
    "Messages",
    "OpenersFile",
    "QuestionWordsFile",
    "Source",
    "SynonymGroup",
    "SynonymsFile",
    "TeencodeFile",
    "Topic",
]

MAX_ANSWER_CHARS = 900
MAX_TITLE_CHARS = 32
MIN_EXAMPLES = 10
MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data limit; buttons carry "i:<intent id>"

Topic = Literal[
    "national_day",
    "public_services",
    "cashless_payment",
    "digital_skills",
    "community_team",
    "bot",
    "out_of_scope",
]
TOPICS: tuple[Topic, ...] = (
    "national_day",
    "public_services",
    "cashless_payment",
    "digital_skills",
    "community_team",
    "bot",
    "out_of_scope",
)

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


NonBlank = Annotated[str, AfterValidator(_not_blank)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Source(_Strict):
    """Where an answer's facts come from."""

    title: NonBlank
    url: str
    date: date

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not _URL.match(value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value


class Intent(_Strict):
    """One thing citizens ask, with the ways they ask it and the answer the bot gives."""

    id: str
    topic: Topic
    title: NonBlank
    examples: list[NonBlank] = Field(min_length=MIN_EXAMPLES)
    answer: NonBlank
    follow_ups: list[str] = Field(default_factory=list, max_length=3)
    sources: list[Source] = Field(min_length=1)
    reviewed: date
    # When a person must check the answer again; `trolyso content check` warns once it passed.
    review_by: date

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                f"{value!r} is not a valid id: use lowercase words joined by dots (dvc.login)"
            )
        if len(f"i:{value}".encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"too long for a button payload ({MAX_PAYLOAD_BYTES} bytes)")
        return value

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str) -> str:
        if len(value) > MAX_TITLE_CHARS:
            raise ValueError(
                f"{len(value)} characters; a button title has at most {MAX_TITLE_CHARS}"
            )
        return value

    @field_validator("answer")
    @classmethod
    def _check_answer(cls, value: str) -> str:
        if len(value) > MAX_ANSWER_CHARS:
            raise ValueError(f"{len(value)} characters; an answer has at most {MAX_ANSWER_CHARS}")
        return value

    @model_validator(mode="after")
    def _check_topic_and_follow_ups(self) -> Intent:
        if self.id.startswith("oos.") != (self.topic == "out_of_scope"):
            raise ValueError("ids starting with 'oos.' and topic 'out_of_scope' go together")
        if self.id in self.follow_ups:
            raise ValueError("follow_ups must not contain the intent itself")
        if self.review_by <= self.reviewed:
            raise ValueError("review_by must come after reviewed")
        return self

    @property
    def out_of_scope(self) -> bool:
        """Decoys answer politely but count as out of scope in every measurement."""
        return self.topic == "out_of_scope"


class FaqFile(_Strict):
    """One `content/faq/*.yaml` file."""

    intents: list[Intent] = Field(min_length=1)


# The parts of a commune's local details an answer can carry (bot/features/local/blocks.py).
LocalBlock = Literal["desk", "hours", "contact", "note", "helpdays"]


class MatchingConfig(_Strict):
    """Thresholds of `content/config.yaml`."""

    answer_threshold: float = Field(gt=0.0, lt=1.0)
    ambiguity_gap: float = Field(ge=0.0, lt=1.0)
    clarify_threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    choice_window: float = Field(default=0.1, ge=0.0, lt=1.0)
    max_choices: int = Field(default=3, ge=2, le=3)
    max_message_chars: int = Field(default=600, ge=50, le=5000)
    # Which answers get which parts of the citizen's local details appended (issue 15):
    # intent id -> blocks. Intents not listed get nothing local.
    local_blocks: dict[str, tuple[LocalBlock, ...]] = Field(default_factory=dict)


class Messages(_Strict):
    """The bot's own sentences (`content/messages.yaml`), editable by operators."""

    greeting: NonBlank
    menu_prompt: NonBlank
    topic_titles: dict[Topic, NonBlank]
    topic_prompt: NonBlank
    person_button: NonBlank
    menu_button: NonBlank
    clarify_prompt: NonBlank
    none_of_these: NonBlank
    fallback: NonBlank
    fallback_offer_person: NonBlank
    second_question: NonBlank
    sources_button: NonBlank
    sources_heading: NonBlank
    sources_checked: NonBlank
    helpful_button: NonBlank
    unhelpful_button: NonBlank
    feedback_thanks: NonBlank
    feedback_sorry: NonBlank
    not_text: NonBlank
    expired_button: NonBlank
    handoff_unavailable: NonBlank
    secret_warning: NonBlank


class TeencodeFile(_Strict):
    """`content/lexicon/teencode.yaml`: abbreviations, fillers and words never squeezed."""

    teencode: dict[str, NonBlank]
    fillers: list[NonBlank] = Field(default_factory=list)
    protected: list[NonBlank] = Field(default_factory=list)


class OpenersFile(_Strict):
    """`content/lexicon/openers.yaml`: polite openers dropped before matching."""

    subjects: list[NonBlank] = Field(default_factory=list)
    openers: list[NonBlank] = Field(default_factory=list)

    def phrases(self) -> list[str]:
        """Every opener with each subject put in place of `{ai}`."""
        result: list[str] = []
        for opener in self.openers:
            if "{ai}" in opener:
                result.extend(opener.replace("{ai}", subject) for subject in self.subjects)
            else:
                result.append(opener)
        return result


class QuestionWordsFile(_Strict):
    """`content/lexicon/question_words.yaml`: phrases that say what kind of question it is."""

    question_words: dict[NonBlank, list[NonBlank]]


class SynonymGroup(_Strict):
    """Phrases that mean the same thing; all are rewritten to `canonical` before matching."""

    canonical: NonBlank
    variants: list[NonBlank] = Field(min_length=1)


class SynonymsFile(_Strict):
    """`content/lexicon/synonyms.yaml`."""

    synonyms: list[SynonymGroup]
