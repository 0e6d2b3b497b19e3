"""The embedded post store: SQLite behind the `PostStore` protocol. Writes live here (upserts
with the FTS rows, analysis updates, retention); the connection and schema are in
`connection`, reads in `reads`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from core.errors import InputError, StoreUnavailable
from store import base
from store.models import STORED, Post, UpdateResult, UpsertResult
from store.sqlite.connection import CHUNK
from store.sqlite.reads import Reads
from store.sqlite.signatures import SqliteSignatures
from store.textindex import index_stream


class SqlitePostStore(Reads):
    """Posts in one SQLite file. Safe to share between threads; one connection per thread."""

    _signatures: SqliteSignatures | None = None

    def signatures(self) -> SqliteSignatures:
        """The near-duplicate signatures kept beside these posts (two tables of the file)."""
        if self._signatures is None:
            self._signatures = SqliteSignatures(self.path)
        return self._signatures

    def close(self) -> None:
        if self._signatures is not None:
            self._signatures.close()
        super().close()

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
                old = existing.get(post.id)
                if old is None:
                    content_hash = post.content_hash()
                    rowid += 1
                    seq += 1
                    inserts.append((rowid, *_columns(post), content_hash, seq, _doc(post)))
                    fts_inserts.append(_fts_row(rowid, post))
                    result.created += 1
                    continue
                stored = Post.model_validate_json(old["doc"], context=STORED)
                merged = base.keep_analysis(post, stored)
                content_hash = merged.content_hash()
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
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
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
                    post = Post.model_validate(data, context=STORED)
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
        # Signatures of posts older than the cutoff can match nothing new worth linking.
        self.signatures().prune(cutoff)
        return dropped


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


__all__ = ["SqlitePostStore"]
