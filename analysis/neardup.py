"""Near-duplicate links: each post that copies an earlier one points at its first occurrence.

MinHash signatures (`analysis.minhash`) of recent posts live in a small SQLite file beside the
data (`var/neardup.db`), shared by every crawl process whichever post store is configured.
Two posts are near duplicates when the estimated Jaccard similarity of their character
3-grams reaches `MIN_SIMILARITY`. Candidates are found through the signatures' LSH bands (an
indexed lookup of 16 keys), never by comparing with every post.

A post linked to a post that is itself a copy points at that post's first occurrence, so a
copy-paste campaign forms one star around the post that started it. Texts with fewer than
`MIN_SHINGLES` 3-grams are recorded but never linked: short texts collide too easily.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from analysis import minhash

MIN_SIMILARITY = 0.6
MIN_SHINGLES = 12
KEEP_DAYS = 30

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (
    post_id TEXT PRIMARY KEY,
    root TEXT NOT NULL,            -- the first occurrence (the post itself when it is one)
    published INTEGER NOT NULL,    -- microseconds since the epoch
    linkable INTEGER NOT NULL,     -- long enough to be linked
    signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS signatures_published ON signatures (published);
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL,          -- band number mixed into the band's hash
    post_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bands_key ON bands (key);
CREATE INDEX IF NOT EXISTS bands_post ON bands (post_id);
"""


def _micros(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def _keys(signature: np.ndarray) -> list[int]:
    # the band number goes into the key, so equal rows in different bands do not collide
    return [(k ^ (band * 0x9E3779B97F4A7C15)) & ((1 << 63) - 1)
            for band, k in enumerate(minhash.band_keys(signature))]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Entry:
    post_id: str
    signature: np.ndarray | None
    shingles: int
    published: datetime
    repost_of: str | None = None


class NearDupIndex:
    """The signatures of recent posts; `link` finds each new post's first occurrence."""

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
                    keys = _keys(entry.signature) if entry.signature is not None else []
                    root = self._find(db, entry, keys)
                    out.append(root)
                    db.execute("DELETE FROM bands WHERE post_id = ?", (entry.post_id,))
                    if entry.signature is None:
                        db.execute("DELETE FROM signatures WHERE post_id = ?", (entry.post_id,))
                        continue
                    linkable = entry.shingles >= MIN_SHINGLES
                    db.execute(
                        "INSERT OR REPLACE INTO signatures VALUES (?, ?, ?, ?, ?)",
                        (entry.post_id, root or entry.post_id, _micros(entry.published),
                         int(linkable), minhash.to_bytes(entry.signature)),
                    )  # fmt: skip
                    if linkable:
                        db.executemany(
                            "INSERT INTO bands VALUES (?, ?)", [(k, entry.post_id) for k in keys]
                        )
        return out

    def _find(self, db: sqlite3.Connection, entry: Entry, keys: list[int]) -> str | None:
        if entry.repost_of:
            row = db.execute(
                "SELECT root FROM signatures WHERE post_id = ?", (entry.repost_of,)
            ).fetchone()
            return row[0] if row else entry.repost_of
        if entry.signature is None or entry.shingles < MIN_SHINGLES:
            return None
        marks = ",".join("?" * len(keys))
        rows = db.execute(
            "SELECT s.post_id, s.root, s.published, s.signature FROM signatures s"
            f" WHERE s.post_id IN (SELECT post_id FROM bands WHERE key IN ({marks}))"
            " AND s.post_id != ?",
            (*keys, entry.post_id),
        ).fetchall()
        best: tuple[int, str] | None = None
        for _post_id, root, published, blob in rows:
            if minhash.similarity(entry.signature, minhash.from_bytes(blob)) < MIN_SIMILARITY:
                continue
            if root == entry.post_id:  # a copy of this very post: it is the first occurrence
                return None
            if best is None or published < best[0]:
                best = (published, root)
        return best[1] if best else None

    def prune(self, now: datetime, keep_days: int = KEEP_DAYS) -> int:
        """Forget the signatures of posts published more than `keep_days` before `now`."""
        cutoff = _micros(now - timedelta(days=keep_days))
        with self._lock:
            db = self._db()
            with db:
                db.execute(
                    "DELETE FROM bands WHERE post_id IN"
                    " (SELECT post_id FROM signatures WHERE published < ?)",
                    (cutoff,),
                )
                cursor = db.execute("DELETE FROM signatures WHERE published < ?", (cutoff,))
                return cursor.rowcount

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
