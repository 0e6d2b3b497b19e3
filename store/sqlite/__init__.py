"""The embedded post store: SQLite with FTS5, one file under ./var/."""

from store.sqlite.backend import SqlitePostStore

__all__ = ["SqlitePostStore"]
