"""Conversations, messages and feedback in SQLite (or any SQLAlchemy URL)."""

from assistant.store.db import ConversationStore, StoredMessage

__all__ = ["ConversationStore", "StoredMessage"]
