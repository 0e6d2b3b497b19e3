"""Near-duplicate links: each post that copies an earlier one points at its first occurrence.

Fingerprints (64-bit SimHash) live in a small SQLite file beside the data (`var/neardup.db`),
shared by every crawl process, whichever post store is configured. Two posts are near
duplicates when their fingerprints differ in at most `MAX_DISTANCE` bits. The 64 bits are cut
into four 16-bit bands; two fingerprints that close agree on at least one band, so candidates
are found by four indexed lookups, never by comparing with every post.

A post linked to a post that is itself a copy points at that post's first occurrence, so a
copy-paste campaign forms one star around the post that started it. Posts with fewer than
`MIN_WORDS` words are fingerprinted but never linked: short texts collide too easily.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

MAX_DISTANCE = 3
MIN_WORDS = 6
KEEP_DAYS = 30
_MASK16 = 0xFFFF

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fingerprints (
    post_id TEXT PRIMARY KEY,
    simhash INTEGER NOT NULL,      -- as a signed 64-bit integer
    root TEXT NOT NULL,            -- the first occurrence (the post itself when it is one)
    published INTEGER NOT NULL,    -- microseconds since the epoch
    b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL, b3 INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fp_b0 ON fingerprints (b0);
CREATE INDEX IF NOT EXISTS fp_b1 ON fingerprints (b1);
CREATE INDEX IF NOT EXISTS fp_b2 ON fingerprints (b2);
CREATE INDEX IF NOT EXISTS fp_b3 ON fingerprints (b3);
CREATE INDEX IF NOT EXISTS fp_published ON fingerprints (published);
"""


def _bands(value: int) -> tuple[int, int, int, int]:
    return tuple((value >> shift) & _MASK16 for shift in (48, 32, 16, 0))  # type: ignore[return-value]


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _micros(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


@dataclass(frozen=True, slots=True)
class Entry:
    post_id: str
    simhash: int | None
    words: int
    published: datetime
    repost_of: str | None = None


class NearDupIndex:
    """The fingerprints of recent posts; `link` finds each new post's first occurrence."""

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

    def link(self, entries: list[Entry]) -> list[str | None]:
        """For each entry, the id of the post it copies (its first occurrence) or None.

        Entries are recorded as they go, so a copy later in the same batch links to an
        earlier one. A repost links to the root of the post it reposts.
        """
        out: list[str | None] = []
        with self._lock:
            db = self._db()
            with db:
                for entry in entries:
                    root = self._find(db, entry)
                    out.append(root)
                    if entry.simhash is None:
                        db.execute("DELETE FROM fingerprints WHERE post_id = ?", (entry.post_id,))
                        continue
                    db.execute(
                        "INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            entry.post_id,
                            _signed(entry.simhash),
                            root or entry.post_id,
                            _micros(entry.published),
                            *_bands(entry.simhash),
                        ),
                    )
        return out

    def _find(self, db: sqlite3.Connection, entry: Entry) -> str | None:
        if entry.repost_of:
            row = db.execute(
                "SELECT root FROM fingerprints WHERE post_id = ?", (entry.repost_of,)
            ).fetchone()
            return row[0] if row else entry.repost_of
        if entry.simhash is None or entry.words < MIN_WORDS:
            return None
        b0, b1, b2, b3 = _bands(entry.simhash)
        rows = db.execute(
            "SELECT post_id, simhash, root, published FROM fingerprints"
            " WHERE (b0 = ? OR b1 = ? OR b2 = ? OR b3 = ?) AND post_id != ?",
            (b0, b1, b2, b3, entry.post_id),
        ).fetchall()
        best: tuple[int, str] | None = None
        for _post_id, simhash, root, published in rows:
            if (_unsigned(simhash) ^ entry.simhash).bit_count() > MAX_DISTANCE:
                continue
            if root == entry.post_id:  # a copy of this very post: it is the first occurrence
                return None
            if best is None or published < best[0]:
                best = (published, root)
        return best[1] if best else None

    def prune(self, now: datetime, keep_days: int = KEEP_DAYS) -> int:
        """Forget fingerprints of posts published more than `keep_days` before `now`."""
        cutoff = _micros(now - timedelta(days=keep_days))
        with self._lock:
            db = self._db()
            with db:
                cursor = db.execute("DELETE FROM fingerprints WHERE published < ?", (cutoff,))
                return cursor.rowcount

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
