"""Where the bot keeps what it must not forget: conversation state (SQLite or PostgreSQL)."""

from storage.conversations import ConversationRepository
from storage.db import create_engine, session_factory, sqlite_url
from storage.memory import InMemoryStore

__all__ = [
    "ConversationRepository",
    "InMemoryStore",
    "create_engine",
    "session_factory",
    "sqlite_url",
]
