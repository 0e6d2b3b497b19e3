"""Reading the Elasticsearch post store: search (by time with search_after, by relevance with a
point in time), aggregations (composite pages for large groupings) and the clustering job's
scan in ingestion order."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from elastic_transport import ObjectApiResponse
from elasticsearch import ApiError, Elasticsearch, TransportError

from core.errors import CursorError, InputError
from store import base
from store.elasticsearch.connection import (
    INGEST_CLOCK,
    Connection,
    pit_gone,
    store_error,
    translate,
)
from store.elasticsearch.mapping import CHARS_FIELDS, post_from_source
from store.elasticsearch.queries import build_query
from store.highlight import snippet
from store.models import (
    NEUTRAL_FROM,
    POSITIVE_FROM,
    Aggregations,
    Bucket,
    Interval,
    PostFilter,
    ScanPage,
    SearchHit,
    SearchPage,
    SentimentBand,
    SortOrder,
)
from store.query import parse, positive_terms

log = logging.getLogger(__name__)

_PIT_KEEP_ALIVE = "5m"
_INVALID_CURSOR = "the cursor is not valid for this request; start again without one"
_COMPOSITE_PAGE = 5000  # buckets per composite page; several per request stay under max_buckets
_TERMS_MAX = 5000  # larger keyword tops are collected with composite pages


class Reads(Connection):
    """Search, aggregations and scans over the alias."""

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
        terms = positive_terms(node) if node is not None else []
        cursor_kind = base.search_cursor_kind(query, filters, sort)
        es_query = build_query(node, filters, scored=bool(terms))
        if sort is SortOrder.RELEVANCE:
            reply, pit_id = self._relevance_page(es_query, limit, cursor, cursor_kind)
        else:
            reply, pit_id = self._time_page(es_query, limit, cursor, cursor_kind), None

        raw = reply["hits"]["hits"]
        hits = []
        for hit in raw[:limit]:
            post = post_from_source(hit["_source"])
            score = float(hit["_score"]) if sort is SortOrder.RELEVANCE else None
            hits.append(
                SearchHit(post=post, score=score, snippet=snippet(post.title, post.text, terms))
            )
        next_cursor = None
        if len(raw) > limit:
            values = list(raw[limit - 1]["sort"])
            if pit_id is not None:
                values.insert(0, pit_id)
            next_cursor = base.encode_cursor(cursor_kind, values)
        elif pit_id is not None:
            self._close_pit(pit_id)
        return SearchPage(
            hits=hits, total=int(reply["hits"]["total"]["value"]), next_cursor=next_cursor
        )

    def _time_page(
        self, es_query: dict[str, Any], limit: int, cursor: str | None, cursor_kind: str
    ) -> ObjectApiResponse[Any]:
        after = None
        if cursor:
            after = base.decode_cursor(cursor, cursor_kind)
            if not _is_time_key(after):
                raise CursorError(_INVALID_CURSOR)
        es = self._ready()
        with translate("search posts"):
            return es.search(
                index=self.alias,
                query=es_query,
                sort=[{"published_us": "desc"}, {"id": "desc"}],
                search_after=after,
                size=limit + 1,
                track_total_hits=True,
                source_excludes=list(CHARS_FIELDS),
                ignore_unavailable=True,
            )

    def _relevance_page(
        self, es_query: dict[str, Any], limit: int, cursor: str | None, cursor_kind: str
    ) -> tuple[ObjectApiResponse[Any], str | None]:
        """One page by score; pages after the first read a point in time.

        BM25 scores move whenever posts arrive, so paging the live index could skip or repeat
        hits. The first page is read live; if there is more, a point in time is opened, the
        page is read again from it, and every later page reads the same point in time.
        """
        values = base.decode_cursor(cursor, cursor_kind) if cursor else None
        if values is not None and (len(values) < 4 or not isinstance(values[0], str)):
            raise CursorError(_INVALID_CURSOR)
        es = self._ready()
        request: dict[str, Any] = {
            "query": es_query,
            "sort": [{"_score": "desc"}, {"published_us": "desc"}, {"id": "desc"}],
            "size": limit + 1,
            "track_total_hits": True,
            "source_excludes": list(CHARS_FIELDS),
        }
        if values is not None:
            return self._pit_search(es, values[0], request, values[1:])
        with translate("search posts"):
            reply = es.search(index=self.alias, ignore_unavailable=True, **request)
        if len(reply["hits"]["hits"]) <= limit:
            return reply, None
        with translate("open a point in time"):
            pit_id = es.open_point_in_time(
                index=self.alias, keep_alive=_PIT_KEEP_ALIVE, ignore_unavailable=True
            )["id"]
        return self._pit_search(es, pit_id, request, None)

    def _pit_search(
        self, es: Elasticsearch, pit_id: str, request: dict[str, Any], after: list[Any] | None
    ) -> tuple[ObjectApiResponse[Any], str]:
        try:
            reply = es.search(
                pit={"id": pit_id, "keep_alive": _PIT_KEEP_ALIVE}, search_after=after, **request
            )
        except ApiError as exc:
            if pit_gone(exc):
                raise CursorError(
                    "the cursor has expired (a search is kept for 5 minutes between pages);"
                    " start the search again without a cursor"
                ) from exc
            if exc.meta.status == 400 and after is not None:
                # The first page ran the same query; only a cursor we did not make fails here.
                raise CursorError(_INVALID_CURSOR) from exc
            raise store_error("search posts", exc) from exc
        except TransportError as exc:
            raise store_error("search posts", exc) from exc
        return reply, reply.get("pit_id") or pit_id

    def _close_pit(self, pit_id: str) -> None:
        try:
            self._es().close_point_in_time(id=pit_id)
        except (ApiError, TransportError) as exc:  # it expires by itself anyway
            log.debug("could not close point in time: %s", exc)

    def aggregate(
        self,
        query: str = "",
        *,
        filters: PostFilter | None = None,
        interval: Interval = Interval.HOUR,
        top_keywords: int = 20,
    ) -> Aggregations:
        node = parse(query)
        es_query = build_query(node, filters, scored=False)
        if interval is Interval.HOUR:
            histogram: dict[str, Any] = {"field": "published_at", "fixed_interval": "1h"}
        else:
            # A fixed +08:00, as SQLite and models.SHANGHAI use; the tz database would apply
            # China's 1986-1991 summer time.
            histogram = {"field": "published_at", "calendar_interval": "1d", "time_zone": "+08:00"}
        composites = {
            "volume": {"date_histogram": histogram},
            "by_source": {"terms": {"field": "source"}},
            "by_cluster": {"terms": {"field": "cluster_id"}},
        }
        aggs: dict[str, Any] = {name: _composite(source) for name, source in composites.items()}
        aggs["by_sentiment"] = {
            "filters": {
                "filters": {
                    SentimentBand.NEGATIVE.value: {"range": {"sentiment": {"lt": NEUTRAL_FROM}}},
                    SentimentBand.NEUTRAL.value: {
                        "range": {"sentiment": {"gte": NEUTRAL_FROM, "lt": POSITIVE_FROM}}
                    },
                    SentimentBand.POSITIVE.value: {"range": {"sentiment": {"gte": POSITIVE_FROM}}},
                    SentimentBand.UNSCORED.value: {
                        "bool": {"must_not": [{"exists": {"field": "sentiment"}}]}
                    },
                }
            }
        }
        if 0 < top_keywords <= _TERMS_MAX:
            aggs["top_keywords"] = {
                "terms": {
                    "field": "keywords",
                    "size": top_keywords,
                    # Every shard sends all its keywords when it has fewer than this; then the
                    # top is exact (checked below through doc_count_error_upper_bound).
                    "shard_size": max(3 * top_keywords, 10_000),
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
        es = self._ready()
        with translate("aggregate posts"):
            reply = es.search(
                index=self.alias,
                query=es_query,
                size=0,
                track_total_hits=True,
                aggs=aggs,
                ignore_unavailable=True,
            )
        found = reply.get("aggregations", {})

        def groups(name: str) -> dict[Any, int]:
            if name not in found:  # no index yet
                return {}
            return self._composite_rest(es, es_query, name, aggs[name], found[name])

        volume = {
            base.from_micros(int(key) * 1000): count for key, count in groups("volume").items()
        }
        bands = found.get("by_sentiment", {}).get("buckets", {})
        if top_keywords <= 0:
            keywords: list[Bucket] = []
        elif "top_keywords" in found and not found["top_keywords"].get(
            "doc_count_error_upper_bound", 0
        ):
            keywords = [
                Bucket(key=str(b["key"]), count=int(b["doc_count"]))
                for b in found["top_keywords"]["buckets"]
            ]
        else:
            keywords = self._all_groups(es, es_query, "keywords")[:top_keywords]
        return Aggregations(
            total=int(reply["hits"]["total"]["value"]),
            volume=base.fill_buckets(volume, interval),
            by_source=base.ranked(groups("by_source")),
            by_sentiment=base.ranked({k: int(b["doc_count"]) for k, b in bands.items()}),
            by_cluster=base.ranked(groups("by_cluster")),
            top_keywords=keywords,
        )

    def _composite_rest(
        self,
        es: Elasticsearch,
        es_query: dict[str, Any],
        name: str,
        agg: dict[str, Any],
        first: Mapping[str, Any],
    ) -> dict[Any, int]:
        """All buckets of a composite aggregation, fetching the pages after the first."""
        counts: dict[Any, int] = {}
        page = first
        while True:
            for bucket in page["buckets"]:
                counts[bucket["key"]["k"]] = int(bucket["doc_count"])
            if len(page["buckets"]) < _COMPOSITE_PAGE or "after_key" not in page:
                return counts
            follow = {"composite": {**agg["composite"], "after": page["after_key"]}}
            with translate("aggregate posts"):
                reply = es.search(
                    index=self.alias,
                    query=es_query,
                    size=0,
                    aggs={name: follow},
                    ignore_unavailable=True,
                )
            page = reply["aggregations"][name]

    def _all_groups(
        self, es: Elasticsearch, es_query: dict[str, Any], field_name: str
    ) -> list[Bucket]:
        agg = _composite({"terms": {"field": field_name}})
        with translate("aggregate posts"):
            reply = es.search(
                index=self.alias,
                query=es_query,
                size=0,
                aggs={"groups": agg},
                ignore_unavailable=True,
            )
        if "aggregations" not in reply:
            return []
        first = reply["aggregations"]["groups"]
        return base.ranked(self._composite_rest(es, es_query, "groups", agg, first))

    def scan(self, *, after: str | None = None, limit: int = 500) -> ScanPage:
        if not 1 <= limit <= base.MAX_BATCH:
            raise InputError(f"scan limit must be between 1 and {base.MAX_BATCH}")
        search_after = None
        if after:
            search_after = base.decode_cursor(after, "scan")
            if not _is_time_key(search_after):
                raise CursorError(_INVALID_CURSOR)
        es = self._ready()
        self._refresh(es, [self.alias])
        settled = time.time_ns() // 1000 - int(self.scan_settle_seconds * 1_000_000)
        if self.scan_settle_seconds <= 0:
            # Times handed out in a burst run ahead of the clock; with no settling wanted,
            # everything this process has written counts as settled.
            settled = max(settled, INGEST_CLOCK.last)
        with translate("scan posts"):
            reply = es.search(
                index=self.alias,
                query={"range": {"ingested_at": {"lte": settled}}},
                sort=[{"ingested_at": "asc"}, {"id": "asc"}],
                search_after=search_after,
                size=limit,
                source_excludes=list(CHARS_FIELDS),
                ignore_unavailable=True,
                track_total_hits=False,
            )
        hits = reply["hits"]["hits"]
        posts = [post_from_source(hit["_source"]) for hit in hits]
        cursor = base.encode_cursor("scan", list(hits[-1]["sort"])) if hits else after
        return ScanPage(posts=posts, cursor=cursor)


def _is_time_key(values: list[Any]) -> bool:
    return (
        len(values) == 2
        and isinstance(values[0], int)
        and not isinstance(values[0], bool)
        and isinstance(values[1], str)
    )


def _composite(source: dict[str, Any]) -> dict[str, Any]:
    return {"composite": {"size": _COMPOSITE_PAGE, "sources": [{"k": source}]}}
