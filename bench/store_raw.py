"""The scale run's references: the same posts written, searched, aggregated and deleted with the
engine's own plain calls (a raw SQLite table with FTS5; one raw Elasticsearch index), with no
id lookup, change detection, count, snippet, cursor or parsing into posts."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from store_queries import PAGE_SIZE, AggCase, SearchCase

from store.base import to_micros
from store.models import NEUTRAL_FROM, POSITIVE_FROM, Post, PostFilter, SortOrder
from store.query import And, Node, Not, Or, Term, parse
from store.sqlite.queries import fts_expr
from store.textindex import index_stream


class Reference(Protocol):
    def write(self, posts: list[Post]) -> None: ...

    def search(self, case: SearchCase) -> object: ...

    def aggregate(self, case: AggCase) -> object: ...

    def delete_before(self, cutoff: datetime) -> int: ...

    def close(self) -> None: ...


class RawSqlite:
    """One table with the columns the requests need (time indexed) and an FTS5 table."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.executescript(
            "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT,"
            " published_at INTEGER, sentiment REAL, keywords TEXT, doc TEXT);"
            "CREATE INDEX docs_published ON docs (published_at);"
            "CREATE VIRTUAL TABLE docs_fts USING fts5 (title, body);"
        )
        self.rowid = 0

    def write(self, posts: list[Post]) -> None:
        rows, fts = [], []
        for post in posts:
            self.rowid += 1
            rows.append(
                (
                    self.rowid,
                    post.id,
                    post.source,
                    to_micros(post.published_at),
                    post.sentiment,
                    json.dumps(post.keywords or [], ensure_ascii=False),
                    post.model_dump_json(exclude_none=True),
                )
            )
            fts.append((self.rowid, index_stream(post.title), index_stream(post.text)))
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.db.executemany("INSERT INTO docs_fts (rowid, title, body) VALUES (?, ?, ?)", fts)
        self.db.execute("COMMIT")

    def _where(self, query: str, filters: PostFilter | None) -> tuple[str, list[Any], str | None]:
        f = filters or PostFilter()
        clauses: list[str] = ["1"]
        params: list[Any] = []
        if f.sources is not None:
            clauses.append(f"d.source IN ({','.join('?' * len(f.sources))})")
            params += f.sources
        for column, op, value in (
            ("published_at", ">=", micros(f.published_from)),
            ("published_at", "<", micros(f.published_to)),
            ("sentiment", ">=", f.sentiment_min),
            ("sentiment", "<=", f.sentiment_max),
        ):
            if value is not None:
                clauses.append(f"d.{column} {op} ?")
                params.append(value)
        node = parse(query)
        expr = fts_expr(node) if node is not None else None
        if node is not None and expr is None:
            raise SystemExit(f"the raw reference cannot say {query!r} in FTS5 alone")
        return " AND ".join(clauses), params, expr

    def search(self, case: SearchCase) -> object:
        where, params, expr = self._where(case.query, case.filters)
        if expr is None:
            sql = f"SELECT d.rowid FROM docs d WHERE {where} ORDER BY d.published_at DESC LIMIT ?"
        elif case.sort is SortOrder.RELEVANCE:
            sql = (
                "SELECT d.rowid FROM docs_fts JOIN docs d ON d.rowid = docs_fts.rowid"
                f" WHERE docs_fts MATCH ? AND {where} ORDER BY docs_fts.rank LIMIT ?"
            )
            params = [expr, *params]
        else:
            sql = (
                "SELECT d.rowid FROM docs d WHERE d.rowid IN"
                f" (SELECT rowid FROM docs_fts WHERE docs_fts MATCH ?) AND {where}"
                " ORDER BY d.published_at DESC LIMIT ?"
            )
            params = [expr, *params]
        return self.db.execute(sql, [*params, PAGE_SIZE]).fetchall()

    def aggregate(self, case: AggCase) -> object:
        where, params, expr = self._where(case.query, case.filters)
        if expr is not None:
            where += " AND d.rowid IN (SELECT rowid FROM docs_fts WHERE docs_fts MATCH ?)"
            params = [*params, expr]
        band = (
            f"CASE WHEN sentiment IS NULL THEN 'unscored' WHEN sentiment >= {POSITIVE_FROM}"
            f" THEN 'positive' WHEN sentiment >= {NEUTRAL_FROM} THEN 'neutral' ELSE 'negative' END"
        )
        hour_us = 3_600_000_000
        return [
            self.db.execute(sql, params).fetchall()
            for sql in (
                f"SELECT published_at / {hour_us} AS h, count(*) FROM docs d WHERE {where}"
                " GROUP BY h",
                f"SELECT source, count(*) FROM docs d WHERE {where} GROUP BY source",
                f"SELECT {band} AS band, count(*) FROM docs d WHERE {where} GROUP BY band",
                "SELECT j.value AS k, count(*) AS n FROM docs d, json_each(d.keywords) j"
                f" WHERE {where} GROUP BY k ORDER BY n DESC LIMIT 20",
            )
        ]

    def delete_before(self, cutoff: datetime) -> int:
        micros = to_micros(cutoff)
        self.db.execute("BEGIN")
        self.db.execute(
            "DELETE FROM docs_fts WHERE rowid IN (SELECT rowid FROM docs WHERE published_at < ?)",
            (micros,),
        )
        dropped = self.db.execute("DELETE FROM docs WHERE published_at < ?", (micros,)).rowcount
        self.db.execute("COMMIT")
        return int(dropped)

    def close(self) -> None:
        self.db.close()


def micros(moment: datetime | None) -> int | None:
    return to_micros(moment) if moment is not None else None


RAW_MAPPINGS: dict[str, Any] = {
    # Only what the requests read is indexed; the rest of the post stays in _source.
    "dynamic": False,
    "properties": {
        "title_chars": {"type": "text", "analyzer": "whitespace"},
        "body_chars": {"type": "text", "analyzer": "whitespace"},
        "published_at": {"type": "date"},
        "source": {"type": "keyword"},
        "sentiment": {"type": "double"},
        "keywords": {"type": "keyword"},
    },
}


def es_text(node: Node) -> dict[str, Any]:
    """The query as plain phrase clauses over title (twice as heavy) and body."""
    if isinstance(node, Term):
        return {
            "multi_match": {
                "query": " ".join(node.tokens),
                "type": "phrase",
                "fields": ["title_chars^2", "body_chars"],
            }
        }
    if isinstance(node, Not):
        return {"bool": {"must_not": [es_text(node.child)]}}
    if isinstance(node, Or):
        return {"bool": {"should": [es_text(c) for c in node.children], "minimum_should_match": 1}}
    assert isinstance(node, And)
    return {
        "bool": {
            "must": [es_text(c) for c in node.children if not isinstance(c, Not)],
            "must_not": [es_text(c.child) for c in node.children if isinstance(c, Not)],
        }
    }


class RawElasticsearch:
    """One index, one shard, written with helpers.bulk and refreshed once per batch (as the
    store makes each batch searchable at once)."""

    def __init__(self, url: str, index: str) -> None:
        from elasticsearch import Elasticsearch

        self.client = Elasticsearch(url, request_timeout=600)
        self.index = index
        self.client.indices.create(
            index=index,
            settings={"number_of_shards": 1, "number_of_replicas": 0},
            mappings=RAW_MAPPINGS,
        )

    def write(self, posts: list[Post]) -> None:
        from elasticsearch import helpers

        actions = (
            {
                "_index": self.index,
                "_id": p.id,
                "_source": {
                    **p.model_dump(mode="json", exclude_none=True),
                    "title_chars": index_stream(p.title),
                    "body_chars": index_stream(p.text),
                },
            }
            for p in posts
        )
        helpers.bulk(self.client, actions, chunk_size=len(posts))
        self.client.indices.refresh(index=self.index)

    def _query(self, query: str, filters: PostFilter | None) -> dict[str, Any]:
        f = filters or PostFilter()
        clauses: list[dict[str, Any]] = []
        if f.sources is not None:
            clauses.append({"terms": {"source": f.sources}})
        published = {
            op: value.isoformat()
            for op, value in (("gte", f.published_from), ("lt", f.published_to))
            if value is not None
        }
        if published:
            clauses.append({"range": {"published_at": published}})
        sentiment = {
            op: value
            for op, value in (("gte", f.sentiment_min), ("lte", f.sentiment_max))
            if value is not None
        }
        if sentiment:
            clauses.append({"range": {"sentiment": sentiment}})
        node = parse(query)
        body: dict[str, Any] = {"filter": clauses}
        if node is not None:
            body["must"] = [es_text(node)]
        return {"bool": body}

    def search(self, case: SearchCase) -> object:
        by_time = case.sort is SortOrder.TIME or not case.query
        return self.client.search(
            index=self.index,
            query=self._query(case.query, case.filters),
            sort=[{"published_at": "desc"}] if by_time else None,
            size=PAGE_SIZE,
            track_total_hits=False,
            source_excludes=["title_chars", "body_chars"],
        )

    def aggregate(self, case: AggCase) -> object:
        ranges = [{"to": NEUTRAL_FROM}, {"from": NEUTRAL_FROM, "to": POSITIVE_FROM}]
        aggs: dict[str, Any] = {
            "volume": {"date_histogram": {"field": "published_at", "fixed_interval": "1h"}},
            "by_source": {"terms": {"field": "source", "size": 100}},
            "bands": {
                "range": {"field": "sentiment", "ranges": [*ranges, {"from": POSITIVE_FROM}]}
            },
            "unscored": {"missing": {"field": "sentiment"}},
            "top_keywords": {"terms": {"field": "keywords", "size": 20}},
        }
        return self.client.search(
            index=self.index,
            query=self._query(case.query, case.filters),
            size=0,
            track_total_hits=True,
            aggs=aggs,
        )

    def delete_before(self, cutoff: datetime) -> int:
        """Without the reindex module (not in the test distribution) there is no
        delete-by-query: the ids of the range are read from a point in time, then deleted in
        bulk and refreshed once."""
        from elasticsearch import helpers

        query = {"range": {"published_at": {"lt": cutoff.isoformat()}}}
        pit = self.client.open_point_in_time(index=self.index, keep_alive="2m")["id"]
        ids: list[str] = []
        after = None
        while True:
            reply = self.client.search(
                pit={"id": pit, "keep_alive": "2m"},
                query=query,
                sort=["_shard_doc"],
                size=10_000,
                source=False,
                search_after=after,
                track_total_hits=False,
            )
            hits = reply["hits"]["hits"]
            if not hits:
                break
            ids += [h["_id"] for h in hits]
            after = hits[-1]["sort"]
        self.client.close_point_in_time(id=pit)
        deletes = ({"_op_type": "delete", "_index": self.index, "_id": i} for i in ids)
        helpers.bulk(self.client, deletes, chunk_size=5000)
        self.client.indices.refresh(index=self.index)
        return len(ids)

    def close(self) -> None:
        self.client.indices.delete(index=self.index, ignore_unavailable=True)
        self.client.close()
