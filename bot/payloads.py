"""Button payloads: short strings (at most 64 bytes, Telegram's limit) the core can parse back.

A payload names an action and an id the content can resolve; no state lives in the button, so
a button pressed days later, or on another worker, still means the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MAX_PAYLOAD_BYTES", "Action", "Payload", "encode", "parse"]

MAX_PAYLOAD_BYTES = 64
Action = Literal[
    "answer",
    "topic",
    "menu",
    "none",
    "person",
    "helpful",
    "unhelpful",
    "form",  # an answer to the current form question: "<step>:<value>"
    "claim",  # a volunteer takes a request: "<ref>"
    "command",  # the same as typing a command: "<command> <args>"
    "outcome",  # a volunteer records how a session ended: "<ref>:<outcome>"
    "rate",  # a citizen rates the help: "<ref>:<1..5>"
    "sources",  # where an answer's facts come from: "<intent id>"
]

_CODES: dict[Action, str] = {
    "answer": "i",
    "topic": "t",
    "menu": "m",
    "none": "n",
    "person": "h",
    "helpful": "f+",
    "unhelpful": "f-",
    "form": "k",
    "claim": "c",
    "command": "x",
    "outcome": "o",
    "rate": "r",
    "sources": "s",
}
_ACTIONS: dict[str, Action] = {code: action for action, code in _CODES.items()}


@dataclass(frozen=True, slots=True)
class Payload:
    """A parsed payload: what to do, and for which intent or topic."""

    action: Action
    value: str = ""


def encode(action: Action, value: str = "") -> str:
    """Build a payload string; raises ValueError if it would not fit a button."""
    text = f"{_CODES[action]}:{value}" if value else _CODES[action]
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload longer than {MAX_PAYLOAD_BYTES} bytes: {text!r}")
    return text


def parse(text: str) -> Payload | None:
    """Parse a payload string; None for anything the bot did not produce."""
    code, _, value = text.partition(":")
    action = _ACTIONS.get(code)
    if action is None or len(text.encode()) > MAX_PAYLOAD_BYTES:
        return None
    needs_value = action not in ("menu", "none", "person")
    if needs_value != bool(value):
        return None
    return Payload(action, value)
