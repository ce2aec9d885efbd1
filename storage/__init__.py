"""Where conversation state is kept. In memory for now; the database comes with the volunteer work."""

from storage.memory import InMemoryStore

__all__ = ["InMemoryStore"]
