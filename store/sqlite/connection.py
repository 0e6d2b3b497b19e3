"""The embedded post store's connections: one SQLite file in WAL mode, one connection per thread,
the schema (posts, FTS5 over the pre-segmented tokens, a meta table) made on first use."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import StoreError, StoreUnavailable

SCHEMA_VERSION = "1"
CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    published_at INTEGER NOT NULL,          -- microseconds since the epoch
    sentiment REAL,
    cluster_id TEXT,
    region TEXT,
    departments TEXT NOT NULL DEFAULT '[]', -- JSON list, for the department filter
    keywords TEXT NOT NULL DEFAULT '[]',    -- JSON list, for keyword aggregation
    content_hash TEXT NOT NULL,
    ingest_seq INTEGER NOT NULL,            -- grows on every create or content change
    doc TEXT NOT NULL                       -- the whole post as JSON
);
CREATE INDEX IF NOT EXISTS posts_published ON posts (published_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS posts_ingest ON posts (ingest_seq);
CREATE INDEX IF NOT EXISTS posts_source ON posts (source, published_at);
CREATE INDEX IF NOT EXISTS posts_cluster ON posts (cluster_id) WHERE cluster_id IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5 (
    title, body, reply, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Connection:
    """One SQLite file. Safe to share between threads; one connection per thread."""

    backend = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ready = False
        self._connections: list[sqlite3.Connection] = []

    # -- connections ---------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            with self._lock:
                if not self._ready:
                    self._create_schema(conn)
                    self._ready = True
                self._connections.append(conn)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open the SQLite store at {self.path}: {exc}") from exc
        self._local.conn = conn
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_SCHEMA)
        row = conn.execute("SELECT value FROM store_meta WHERE key = 'schema'").fetchone()
        if row is None:
            conn.execute("INSERT INTO store_meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row["value"] != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has store schema {row['value']}, this version needs "
                f"{SCHEMA_VERSION}; move the file aside and re-import"
            )

    def ping(self) -> bool:
        try:
            self._db().execute("SELECT 1").fetchone()
            return True
        except (StoreError, sqlite3.Error):
            return False

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def count(self) -> int:
        return int(self._read("SELECT count(*) FROM posts")[0][0])

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._db().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"SQLite store read failed: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store read failed: {exc}") from exc
