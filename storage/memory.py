"""An in-process key-value store for conversation state (single process, tests, console chat).

Values must be immutable (frozen dataclasses), so a caller can never change stored state
without saving it: the same contract a database-backed store will keep.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["InMemoryStore"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class InMemoryStore(Generic[K, V]):
    """Keeps one value per key in a dict; `load` returns a default for unknown keys."""

    def __init__(self, default: Callable[[], V]) -> None:
        self._default = default
        self._values: dict[K, V] = {}

    async def load(self, key: K) -> V:
        """The stored value, or a fresh default."""
        return self._values.get(key, self._default())

    async def save(self, key: K, value: V) -> None:
        """Replace the stored value."""
        self._values[key] = value

    async def delete(self, key: K) -> None:
        """Forget everything stored for this key."""
        self._values.pop(key, None)

    def __len__(self) -> int:
        return len(self._values)
