"""Where the bot keeps what it must not forget: conversation state (SQLite or PostgreSQL)."""

# request_times keeps help_requests.first_*_at in step with request_events on every ORM
# insert; imported with the package so that no code path writing events runs without it.
# console_models: the web console's tables (sign-in links, sessions, question log) join the
# shared metadata, so migrations and the schema test see them; so do content_versions and
# campaign_models (news campaigns and their subscribers).
from storage import (  # noqa: F401
    campaign_models,
    console_models,
    content_versions,
    local_models,
    request_times,
)
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
