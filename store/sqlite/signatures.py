"""Near-duplicate signatures and their LSH bands in two tables of an SQLite file (the post
store's own file, or one of its own)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from store.signatures import Candidate, Signature

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (
    post_id TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    published INTEGER NOT NULL,
    linkable INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS signatures_published ON signatures (published);
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL,
    post_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bands_key ON bands (key);
CREATE INDEX IF NOT EXISTS bands_post ON bands (post_id);
"""
_CHUNK = 500


class SqliteSignatures:
    """The signatures in the SQLite file at `path`; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def candidates(self, keys: Sequence[Sequence[int]]) -> list[list[Candidate]]:
        out: list[list[Candidate]] = []
        with self._lock:
            db = self._db()
            for entry_keys in keys:
                if not entry_keys:
                    out.append([])
                    continue
                marks = ",".join("?" * len(entry_keys))
                rows = db.execute(
                    "SELECT post_id, root, published, signature FROM signatures"
                    f" WHERE post_id IN (SELECT post_id FROM bands WHERE key IN ({marks}))",
                    tuple(entry_keys),
                ).fetchall()
                out.append([Candidate(*row) for row in rows])
        return out

    def roots(self, post_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self._lock:
            db = self._db()
            for start in range(0, len(post_ids), _CHUNK):
                chunk = post_ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(
                    db.execute(
                        f"SELECT post_id, root FROM signatures WHERE post_id IN ({marks})",
                        tuple(chunk),
                    ).fetchall()
                )
        return found

    def put(self, signatures: Sequence[Signature], forget: Sequence[str] = ()) -> None:
        with self._lock:
            db = self._db()
            with db:
                gone = [(s.post_id,) for s in signatures] + [(post_id,) for post_id in forget]
                db.executemany("DELETE FROM bands WHERE post_id = ?", gone)
                db.executemany("DELETE FROM signatures WHERE post_id = ?", gone)
                db.executemany(
                    "INSERT INTO signatures VALUES (?, ?, ?, ?, ?)",
                    [(s.post_id, s.root, s.published, int(s.linkable), s.signature)
                     for s in signatures],
                )  # fmt: skip
                db.executemany(
                    "INSERT INTO bands VALUES (?, ?)",
                    [(key, s.post_id) for s in signatures if s.linkable for key in s.keys],
                )

    def prune(self, before: int) -> int:
        with self._lock:
            db = self._db()
            with db:
                db.execute(
                    "DELETE FROM bands WHERE post_id IN"
                    " (SELECT post_id FROM signatures WHERE published < ?)",
                    (before,),
                )
                return db.execute("DELETE FROM signatures WHERE published < ?", (before,)).rowcount

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
