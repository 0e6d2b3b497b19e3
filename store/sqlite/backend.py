"""The embedded post store: one SQLite file in WAL mode, FTS5 over the pre-segmented tokens."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from core.errors import InputError, StoreError, StoreUnavailable
from core.timezone import SHANGHAI
from store import base
from store.highlight import snippet
from store.models import (
    NEUTRAL_FROM,
    POSITIVE_FROM,
    Aggregations,
    Bucket,
    Interval,
    Post,
    PostFilter,
    ScanPage,
    SearchHit,
    SearchPage,
    SortOrder,
    UpdateResult,
    UpsertResult,
)
from store.query import Node, parse, positive_terms
from store.sqlite.queries import fts_expr, relevance_sql, where_clause
from store.textindex import index_stream

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
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
_HOUR_US = 3_600_000_000
_DAY_US = 86_400_000_000
_SHANGHAI_OFFSET_US = 8 * _HOUR_US
_WALK_INDEX_FROM = 2000  # matches above which a time-sorted page walks the time index
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


class SqlitePostStore:
    """Posts in one SQLite file. Safe to share between threads; one connection per thread."""

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

    # -- writes --------------------------------------------------------------------------

    def upsert(self, posts: Iterable[Post | Mapping[str, Any]]) -> UpsertResult:
        valid, failures = base.validate_batch(posts)
        result = UpsertResult(failures=failures, failed=len(failures))
        if not valid:
            return result
        conn = self._db()
        try:
            conn.execute("BEGIN IMMEDIATE")
            existing = self._existing(conn, [post.id for _, post in valid])
            seq, rowid = conn.execute(
                "SELECT coalesce(max(ingest_seq), 0), coalesce(max(rowid), 0) FROM posts"
            ).fetchone()
            inserts, content_updates, analysis_updates = [], [], []
            fts_deletes, fts_inserts = [], []
            for _, post in valid:
                content_hash = post.content_hash()
                old = existing.get(post.id)
                if old is None:
                    rowid += 1
                    seq += 1
                    inserts.append((rowid, *_columns(post), content_hash, seq, _doc(post)))
                    fts_inserts.append(_fts_row(rowid, post))
                    result.created += 1
                    continue
                stored = Post.model_validate_json(old["doc"])
                merged = base.keep_analysis(post, stored)
                doc = _doc(merged)
                if old["content_hash"] != content_hash:
                    seq += 1
                    content_updates.append(
                        (*_columns(merged), content_hash, seq, doc, old["rowid"])
                    )
                    fts_deletes.append((old["rowid"],))
                    fts_inserts.append(_fts_row(old["rowid"], merged))
                elif doc != old["doc"] and not base.same_but_fetch_time(merged, stored):
                    analysis_updates.append((*_analysis_columns(merged), doc, old["rowid"]))
                else:
                    result.unchanged += 1
                    continue
                result.updated += 1
            conn.executemany(
                "INSERT INTO posts (rowid, id, source, kind, published_at, sentiment, cluster_id,"
                " region, departments, keywords, content_hash, ingest_seq, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            conn.executemany(
                "UPDATE posts SET id = ?, source = ?, kind = ?, published_at = ?, sentiment = ?,"
                " cluster_id = ?, region = ?, departments = ?, keywords = ?, content_hash = ?,"
                " ingest_seq = ?, doc = ? WHERE rowid = ?",
                content_updates,
            )
            conn.executemany(_ANALYSIS_UPDATE, analysis_updates)
            conn.executemany("DELETE FROM posts_fts WHERE rowid = ?", fts_deletes)
            conn.executemany(
                "INSERT INTO posts_fts (rowid, title, body, reply) VALUES (?, ?, ?, ?)",
                fts_inserts,
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailable(f"SQLite store write failed: {exc}") from exc
        return result

    def _existing(self, conn: sqlite3.Connection, ids: list[str]) -> dict[str, sqlite3.Row]:
        found: dict[str, sqlite3.Row] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT rowid, id, content_hash, doc FROM posts WHERE id IN ({marks})", chunk
            )
            found.update((row["id"], row) for row in rows)
        return found

    def update_analysis(self, updates: Mapping[str, Mapping[str, Any]]) -> UpdateResult:
        for post_id, fields in updates.items():
            base.check_analysis_update(post_id, fields)
        result = UpdateResult()
        if not updates:
            return result
        conn = self._db()
        try:
            conn.execute("BEGIN IMMEDIATE")
            existing = self._existing(conn, list(updates))
            rows = []
            for post_id, fields in updates.items():
                old = existing.get(post_id)
                if old is None:
                    result.missing.append(post_id)
                    continue
                data = json.loads(old["doc"])
                data.update(fields)
                try:
                    post = Post.model_validate(data)
                except ValueError as exc:
                    raise InputError(f"post {post_id}: {exc}") from exc
                rows.append((*_analysis_columns(post), _doc(post), old["rowid"]))
            conn.executemany(_ANALYSIS_UPDATE, rows)
            conn.execute("COMMIT")
        except InputError:
            conn.execute("ROLLBACK")
            raise
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailable(f"SQLite store update failed: {exc}") from exc
        result.updated = len(rows)
        return result

    def drop_older_than(self, days: int, *, now: datetime | None = None) -> int:
        if days < 0:
            raise InputError(f"retention days must not be negative, got {days}")
        cutoff = base.retention_cutoff(days, now)
        conn = self._db()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "DELETE FROM posts_fts WHERE rowid IN"
                " (SELECT rowid FROM posts WHERE published_at < ?)",
                (cutoff,),
            )
            dropped = conn.execute("DELETE FROM posts WHERE published_at < ?", (cutoff,)).rowcount
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailable(f"SQLite retention failed: {exc}") from exc
        return dropped

    # -- reads ---------------------------------------------------------------------------

    def get(self, post_id: str) -> Post | None:
        return self.get_many([post_id]).get(post_id)

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]:
        found: dict[str, Post] = {}
        ids = list(dict.fromkeys(post_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._read(f"SELECT id, doc FROM posts WHERE id IN ({marks})", chunk):
                found[row["id"]] = Post.model_validate_json(row["doc"])
        return found

    def search(
        self,
        query: str = "",
        *,
        filters: PostFilter | None = None,
        sort: SortOrder = SortOrder.TIME,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchPage:
        base.check_limit(limit)
        node = parse(query)
        where, params = where_clause(node, filters)
        terms = positive_terms(node) if node is not None else []
        cursor_kind = base.search_cursor_kind(query, filters, sort)
        total = self._count(node, filters, where, params)

        if sort is SortOrder.RELEVANCE:
            score_sql, score_params = relevance_sql(terms)
            sql = (
                f"SELECT * FROM (SELECT p.id, p.published_at, p.doc, {score_sql} AS score"
                f" FROM posts p JOIN posts_fts f ON f.rowid = p.rowid WHERE {where})"
            )
            params = [*score_params, *params]
            if cursor:
                score, published, last_id = base.decode_cursor(cursor, cursor_kind)
                sql += (
                    " WHERE score < ? OR (score = ? AND (published_at < ?"
                    " OR (published_at = ? AND id < ?)))"
                )
                params += [score, score, published, published, last_id]
            sql += " ORDER BY score DESC, published_at DESC, id DESC LIMIT ?"
        else:
            # For a large result set, walking the time index and probing the match set finds a
            # page sooner than sorting every match.
            hint = "INDEXED BY posts_published" if total > _WALK_INDEX_FROM else ""
            sql = (
                "SELECT p.id, p.published_at, p.doc, NULL AS score"
                f" FROM posts p {hint} WHERE {where}"
            )
            if cursor:
                published, last_id = base.decode_cursor(cursor, cursor_kind)
                sql += " AND (p.published_at < ? OR (p.published_at = ? AND p.id < ?))"
                params += [published, published, last_id]
            sql += " ORDER BY p.published_at DESC, p.id DESC LIMIT ?"
        rows = self._read(sql, [*params, limit + 1])

        hits = []
        for row in rows[:limit]:
            post = Post.model_validate_json(row["doc"])
            hits.append(
                SearchHit(
                    post=post, score=row["score"], snippet=snippet(post.title, post.text, terms)
                )
            )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            values = [last["published_at"], last["id"]]
            if sort is SortOrder.RELEVANCE:
                values.insert(0, last["score"])
            next_cursor = base.encode_cursor(cursor_kind, values)
        return SearchPage(hits=hits, total=total, next_cursor=next_cursor)

    def _count(
        self, node: Node | None, filters: PostFilter | None, where: str, params: list[Any]
    ) -> int:
        expr = fts_expr(node) if node is not None else None
        if expr is not None and (filters is None or filters == PostFilter()):
            # The match alone: count it in the index without visiting the posts.
            sql, params = "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", [expr]
        else:
            sql = f"SELECT count(*) FROM posts p WHERE {where}"
        return int(self._read(sql, params)[0][0])

    def aggregate(
        self,
        query: str = "",
        *,
        filters: PostFilter | None = None,
        interval: Interval = Interval.HOUR,
        top_keywords: int = 20,
    ) -> Aggregations:
        node = parse(query)
        where, params = where_clause(node, filters)
        if interval is Interval.HOUR:
            bucket_sql = f"p.published_at / {_HOUR_US}"

            def to_start(k: int) -> int:
                return k * _HOUR_US

        else:
            bucket_sql = f"(p.published_at + {_SHANGHAI_OFFSET_US}) / {_DAY_US}"

            def to_start(k: int) -> int:
                return k * _DAY_US - _SHANGHAI_OFFSET_US

        band = (
            f"CASE WHEN p.sentiment IS NULL THEN 'unscored' WHEN p.sentiment >= {POSITIVE_FROM}"
            f" THEN 'positive' WHEN p.sentiment >= {NEUTRAL_FROM} THEN 'neutral'"
            " ELSE 'negative' END"
        )
        # One pass over the result set for every breakdown but keywords.
        rows = self._read(
            f"SELECT {bucket_sql} AS b, p.source AS s, {band} AS band, p.cluster_id AS c,"
            f" count(*) AS n FROM posts p WHERE {where} GROUP BY b, s, band, c",
            params,
        )
        volume: Counter[int] = Counter()
        sources: Counter[str] = Counter()
        bands: Counter[str] = Counter()
        clusters: Counter[str] = Counter()
        for row in rows:
            volume[row["b"]] += row["n"]
            sources[row["s"]] += row["n"]
            bands[row["band"]] += row["n"]
            if row["c"] is not None:
                clusters[row["c"]] += row["n"]
        keywords: list[Bucket] = []
        if top_keywords > 0:
            keywords = [
                Bucket(key=r["k"], count=r["n"])
                for r in self._read(
                    "SELECT j.value AS k, count(*) AS n FROM posts p, json_each(p.keywords) j"
                    f" WHERE {where} GROUP BY k ORDER BY n DESC, k ASC LIMIT {int(top_keywords)}",
                    params,
                )
            ]
        return Aggregations(
            total=sum(volume.values()),
            volume=base.fill_buckets(
                {base.from_micros(to_start(k)): n for k, n in volume.items()}, interval
            ),
            by_source=base.ranked(sources),
            by_sentiment=base.ranked(bands),
            by_cluster=base.ranked(clusters),
            top_keywords=keywords,
        )

    def scan(self, *, after: str | None = None, limit: int = 500) -> ScanPage:
        if not 1 <= limit <= base.MAX_BATCH:
            raise InputError(f"scan limit must be between 1 and {base.MAX_BATCH}")
        last = base.decode_cursor(after, "scan")[0] if after else 0
        rows = self._read(
            "SELECT ingest_seq, doc FROM posts WHERE ingest_seq > ? ORDER BY ingest_seq LIMIT ?",
            (last, limit),
        )
        posts = [Post.model_validate_json(row["doc"]) for row in rows]
        cursor = base.encode_cursor("scan", [rows[-1]["ingest_seq"]]) if rows else after
        return ScanPage(posts=posts, cursor=cursor)


def _columns(post: Post) -> tuple[Any, ...]:
    return (
        post.id,
        post.source,
        post.kind.value,
        base.to_micros(post.published_at),
        post.sentiment,
        post.cluster_id,
        post.region,
        json.dumps(post.departments(), ensure_ascii=False),
        json.dumps(post.keywords or [], ensure_ascii=False),
    )


def _analysis_columns(post: Post) -> tuple[Any, ...]:
    return (
        post.sentiment,
        post.cluster_id,
        json.dumps(post.departments(), ensure_ascii=False),
        json.dumps(post.keywords or [], ensure_ascii=False),
    )


_ANALYSIS_UPDATE = (
    "UPDATE posts SET sentiment = ?, cluster_id = ?, departments = ?, keywords = ?, doc = ?"
    " WHERE rowid = ?"
)


def _fts_row(rowid: int, post: Post) -> tuple[int, str, str, str]:
    return (
        rowid,
        index_stream(post.title),
        index_stream(post.text),
        index_stream(post.reply.text) if post.reply else "",
    )


def _doc(post: Post) -> str:
    return post.model_dump_json(exclude_none=True)


__all__ = ["SqlitePostStore", "SHANGHAI"]
