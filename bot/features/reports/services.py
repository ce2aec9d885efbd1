"""Figures about services helped with: in closed chat sessions and in field logs.

The queries return each distinct JSON list of service codes once, with how many rows hold it;
a list is decoded once and its distinct codes counted that many times (a code listed twice in
one row counts once). Anything that is not a list of strings counts as no service.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.features.reports.model import ServiceCount
from storage.vocabulary import SERVICES

__all__ = ["count_services", "decode", "service_codes", "service_counts"]


def decode(text: str | None) -> Any:
    """The JSON value of a stored text, or None when it is missing or not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def service_codes(value: Any) -> set[str]:
    """The distinct service codes of one JSON list (anything else counts as nothing)."""
    if not isinstance(value, list):
        return set()
    return {item for item in value if isinstance(item, str)}


def count_services(lists: Iterable[tuple[str | None, int]]) -> Counter[str]:
    """Rows per service code, from (JSON text, rows holding it) pairs."""
    counts: Counter[str] = Counter()
    for text, rows in lists:
        for code in service_codes(decode(text)):
            counts[code] += rows
    return counts


def service_counts(chat: Counter[str], field: Counter[str]) -> tuple[ServiceCount, ...]:
    """Every known service in the vocabulary's order, then unknown codes found in the data."""
    codes = [*SERVICES, *sorted((chat | field).keys() - SERVICES.keys())]
    return tuple(ServiceCount(code, chat.get(code, 0), field.get(code, 0)) for code in codes)
