"""Reading the embedded post store: posts by id, full-text search (FTS5 with the phrase rules
of `store.textindex`), aggregations by day or hour in Beijing time, the clustering job's scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from core.errors import InputError
from store import base
from store.highlight import snippet
from store.models import (
    NEUTRAL_FROM,
    POSITIVE_FROM,
    STORED,
    Aggregations,
    Bucket,
    Interval,
    Post,
    PostFilter,
    ScanPage,
    SearchHit,
    SearchPage,
    SortOrder,
)
from store.query import Node, parse, positive_terms
from store.sqlite.connection import CHUNK, Connection
from store.sqlite.queries import fts_expr, relevance_sql, where_clause

_HOUR_US = 3_600_000_000
_DAY_US = 86_400_000_000
_SHANGHAI_OFFSET_US = 8 * _HOUR_US
_WALK_INDEX_FROM = 2000  # matches above which a time-sorted page walks the time index


class Reads(Connection):
    """Posts by id, search, aggregations and scans."""

    def get(self, post_id: str) -> Post | None:
        return self.get_many([post_id]).get(post_id)

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]:
        found: dict[str, Post] = {}
        ids = list(dict.fromkeys(post_ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._read(f"SELECT id, doc FROM posts WHERE id IN ({marks})", chunk):
                found[row["id"]] = Post.model_validate_json(row["doc"], context=STORED)
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
            post = Post.model_validate_json(row["doc"], context=STORED)
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
        posts = [Post.model_validate_json(row["doc"], context=STORED) for row in rows]
        cursor = base.encode_cursor("scan", [rows[-1]["ingest_seq"]]) if rows else after
        return ScanPage(posts=posts, cursor=cursor)
