"""Where conversation state is kept: in memory for now; the database comes with volunteer work."""

from storage.memory import InMemoryStore

__all__ = ["InMemoryStore"]
