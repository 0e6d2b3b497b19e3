"""The Elasticsearch post store itself: writes, reads, aggregations, scans, retention."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from elastic_transport import ObjectApiResponse
from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch, TransportError
from elasticsearch import ConnectionError as EsConnectionError

from core.errors import ConfigError, CursorError, InputError, StoreError, StoreUnavailable
from core.timezone import SHANGHAI
from store import base
from store.elasticsearch.mapping import (
    CHARS_FIELDS,
    INDEX_SETTINGS,
    MAPPINGS,
    month_end_micros,
    post_from_source,
    to_document,
)
from store.elasticsearch.queries import build_query
from store.highlight import snippet
from store.models import (
    NEUTRAL_FROM,
    POSITIVE_FROM,
    Aggregations,
    Bucket,
    Failure,
    Interval,
    Post,
    PostFilter,
    ScanPage,
    SearchHit,
    SearchPage,
    SentimentBand,
    SortOrder,
    UpdateResult,
    UpsertResult,
)
from store.query import parse, positive_terms

log = logging.getLogger(__name__)


_PIT_KEEP_ALIVE = "5m"
_INVALID_CURSOR = "the cursor is not valid for this request; start again without one"
_LOOKUP_CHUNK = 1000  # ids per ids query, well under max_result_window
_BULK_MAX_OPS = 1000
_BULK_MAX_BYTES = 8 * 1024 * 1024  # far below http.max_content_length (100 MB)
_COMPOSITE_PAGE = 5000  # buckets per composite page; several per request stay under max_buckets
_TERMS_MAX = 5000  # larger keyword tops are collected with composite pages
_DELETE_PAGE = 5000
_NAME_CHUNK = 50  # index names per delete request, to keep the URL short
_PREFIX_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,200}$")


class _IngestClock:
    """Epoch microseconds that never repeat or go back within this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        with self._lock:
            self._last = max(time.time_ns() // 1000, self._last + 1)
            return self._last

    @property
    def last(self) -> int:
        return self._last


_CLOCK = _IngestClock()


@dataclass
class _Stored:
    """What a lookup found of a post: its current copy and any stale ones."""

    index: str
    post: Post
    content_hash: str
    ingested_at: int
    stale_indices: list[str] = field(default_factory=list)


class _BulkTarget(TypedDict):
    """The document a bulk action names: `{"delete": target}`, `{"update": target}`."""

    _index: str
    _id: str
    retry_on_conflict: NotRequired[int]


@dataclass
class _Write:
    batch_index: int
    post_id: str
    outcome: str  # created or updated
    target: str
    document: dict[str, Any]
    stale_indices: list[str]


class ElasticsearchPostStore:
    """Posts in Elasticsearch 9. Safe to share between threads; connects on first use."""

    backend = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        index_prefix: str = "yuqing-posts",
        request_timeout: float = 30.0,
        scan_settle_seconds: float = 2.0,
    ) -> None:
        if not _PREFIX_PATTERN.match(index_prefix):
            raise ConfigError(
                f"index prefix {index_prefix!r} must be lower case letters, digits, '_', '.'"
                " or '-', starting with a letter or digit"
            )
        self.url = url
        self.index_prefix = index_prefix
        self.alias = index_prefix
        self.template_name = f"{index_prefix}-template"
        self.request_timeout = request_timeout
        self.scan_settle_seconds = scan_settle_seconds
        self._lock = threading.Lock()
        self._client: Elasticsearch | None = None
        self._template_ready = False
        self._index_name = re.compile(rf"^{re.escape(index_prefix)}-\d{{4}}\.\d{{2}}$")

    # -- connection ----------------------------------------------------------------------

    def _es(self) -> Elasticsearch:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    try:
                        self._client = Elasticsearch(
                            self.url,
                            request_timeout=self.request_timeout,
                            max_retries=2,
                            retry_on_timeout=False,
                        )
                    except ValueError as exc:
                        raise ConfigError(f"invalid Elasticsearch URL {self.url!r}: {exc}") from exc
                client = self._client
        return client

    def _ready(self) -> Elasticsearch:
        """The client, once the index template is in place."""
        es = self._es()
        if not self._template_ready:
            with self._lock:
                if not self._template_ready:
                    with _translate("put the index template"):
                        es.indices.put_index_template(
                            name=self.template_name,
                            index_patterns=[f"{self.index_prefix}-*"],
                            # A longer prefix is more specific: its template must win where
                            # another prefix's pattern matches too (yuqing-posts-* and
                            # yuqing-posts-t1-*), and equal priorities would be refused.
                            priority=500 + len(self.index_prefix),
                            template={
                                "settings": INDEX_SETTINGS,
                                "mappings": MAPPINGS,
                                "aliases": {self.alias: {}},
                            },
                            meta={"managed_by": "yuqing store.elasticsearch"},
                        )
                    self._template_ready = True
        return es

    def ping(self) -> bool:
        try:
            # The test distribution has no GET / handler, so the client's own ping() is false.
            quick = self._es().options(
                request_timeout=min(5.0, self.request_timeout), max_retries=0
            )
            quick.cluster.health()
            return True
        except Exception:  # ping must never raise, whatever goes wrong
            return False

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def count(self) -> int:
        es = self._ready()
        with _translate("count posts"):
            return int(es.count(index=self.alias, ignore_unavailable=True)["count"])

    def drop_everything(self) -> None:
        """DESTRUCTIVE: delete every monthly index of this prefix and the index template.

        Meant for test isolation and `yuqing` reset; all posts of the prefix are gone.
        """
        es = self._es()
        with _translate("list the indices to delete"):
            names = sorted(self._indices(es, expand_wildcards="all"))
        for start in range(0, len(names), _NAME_CHUNK):
            # Explicit names, because action.destructive_requires_name refuses wildcards.
            with _translate("delete indices"):
                es.indices.delete(index=",".join(names[start : start + _NAME_CHUNK]))
        with _translate("delete the index template"):
            try:
                es.indices.delete_index_template(name=self.template_name)
            except ApiError as exc:
                if exc.meta.status != 404:
                    raise
        self._template_ready = False

    # -- index names ---------------------------------------------------------------------

    def index_for(self, published_at: datetime) -> str:
        """The monthly index a post published at `published_at` belongs in."""
        local = published_at.astimezone(SHANGHAI)
        return f"{self.index_prefix}-{local.year:04d}.{local.month:02d}"

    def _indices(self, es: Elasticsearch, *, expand_wildcards: str = "open") -> list[str]:
        found = es.indices.get(index=f"{self.index_prefix}-*", expand_wildcards=expand_wildcards)
        # Another prefix may extend this one (yuqing-posts-t1-2024.01); only ours match.
        return [name for name in found if self._index_name.match(name)]

    # -- writes --------------------------------------------------------------------------

    def upsert(self, posts: Iterable[Post | Mapping[str, Any]]) -> UpsertResult:
        valid, failures = base.validate_batch(posts)
        result = UpsertResult(failures=failures, failed=len(failures))
        if not valid:
            return result
        es = self._ready()
        existing = self._lookup(es, [post.id for _, post in valid])

        writes: list[_Write] = []
        for index, post in valid:
            content_hash = post.content_hash()
            target = self.index_for(post.published_at)
            old = existing.get(post.id)
            if old is None:
                document = to_document(post, content_hash, _CLOCK.next())
                writes.append(_Write(index, post.id, "created", target, document, []))
                continue
            merged = base.keep_analysis(post, old.post)
            copies = [old.index, *old.stale_indices]
            stale = [name for name in copies if name != target]
            if old.content_hash == content_hash:
                if base.same_but_fetch_time(merged, old.post) and not old.stale_indices:
                    result.unchanged += 1
                    continue
                # An analysis-only change is not new content: scan must not hand it out again.
                document = to_document(merged, content_hash, old.ingested_at)
            else:
                document = to_document(merged, content_hash, _CLOCK.next())
            writes.append(_Write(index, post.id, "updated", target, document, stale))

        operations = [
            ({"index": {"_index": w.target, "_id": w.post_id}}, w.document) for w in writes
        ]
        outcomes = self._bulk(es, operations, "store posts")
        deletes: list[tuple[dict[str, _BulkTarget], None]] = []
        for write, (ok, reason) in zip(writes, outcomes, strict=True):
            if not ok:
                result.failures.append(
                    Failure(index=write.batch_index, id=write.post_id, reason=reason)
                )
                result.failed += 1
                continue
            if write.outcome == "created":
                result.created += 1
            else:
                result.updated += 1
            # Only once the new copy is stored may the copy in the old month go.
            deletes.extend(
                ({"delete": {"_index": name, "_id": write.post_id}}, None)
                for name in write.stale_indices
            )
        if deletes:
            for (op, _), (ok, reason) in zip(
                deletes, self._bulk(es, deletes, "delete moved posts"), strict=True
            ):
                if not ok and "not_found" not in reason:
                    log.warning(
                        "post %s moved to another month but its old copy in %s stays: %s",
                        op["delete"]["_id"],
                        op["delete"]["_index"],
                        reason,
                    )
        touched = {w.target for w in writes} | {op["delete"]["_index"] for op, _ in deletes}
        self._refresh(es, sorted(touched))
        result.failures.sort(key=lambda f: f.index)
        return result

    def update_analysis(self, updates: Mapping[str, Mapping[str, Any]]) -> UpdateResult:
        for post_id, fields in updates.items():
            base.check_analysis_update(post_id, fields)
        result = UpdateResult()
        if not updates:
            return result
        es = self._ready()
        existing = self._lookup(es, list(updates))
        operations: list[tuple[dict[str, _BulkTarget], dict[str, Any]]] = []
        for post_id, fields in updates.items():
            old = existing.get(post_id)
            if old is None:
                result.missing.append(post_id)
                continue
            data = old.post.model_dump(mode="json", exclude_none=True)
            data.update(fields)
            try:
                post = Post.model_validate(data)
            except ValueError as exc:
                raise InputError(f"post {post_id}: {exc}") from exc
            # JSON values of the validated post, so that e.g. a sentiment of 1 is stored as 1.0.
            doc = post.model_dump(mode="json", include=set(fields))
            doc["departments"] = post.departments()
            operations.append(
                (
                    {"update": {"_index": old.index, "_id": post_id, "retry_on_conflict": 3}},
                    {"doc": doc},
                )
            )
        outcomes = self._bulk(es, operations, "update analysis fields")
        problems = []
        for (op, _), (ok, reason) in zip(operations, outcomes, strict=True):
            post_id = op["update"]["_id"]
            if ok:
                result.updated += 1
            elif "document_missing" in reason or "index_not_found" in reason:
                result.missing.append(post_id)  # deleted since the lookup
            else:
                problems.append(f"{post_id}: {reason}")
        self._refresh(es, sorted({op["update"]["_index"] for op, _ in operations}))
        if problems:
            raise StoreError(
                f"Elasticsearch did not update {len(problems)} of {len(operations)} posts: "
                + "; ".join(problems[:5])
            )
        return result

    def drop_older_than(self, days: int, *, now: datetime | None = None) -> int:
        if days < 0:
            raise InputError(f"retention days must not be negative, got {days}")
        cutoff = base.retention_cutoff(days, now)
        es = self._ready()
        dropped = 0
        with _translate("list the monthly indices"):
            names = self._indices(es)
        whole = [name for name in names if month_end_micros(name) <= cutoff]
        if whole:
            self._refresh(es, whole)
        for name in whole:
            # Every post in the month is older than the cutoff: the whole index goes.
            with _translate(f"drop the index {name}"):
                dropped += int(es.count(index=name)["count"])
                es.indices.delete(index=name)
        query = {"range": {"published_us": {"lt": cutoff}}}
        while True:
            self._refresh(es, [self.alias])
            with _translate("find posts to drop"):
                reply = es.search(
                    index=self.alias,
                    query=query,
                    size=_DELETE_PAGE,
                    source=False,
                    ignore_unavailable=True,
                )
            hits = reply["hits"]["hits"]
            if not hits:
                return dropped
            deletes = [({"delete": {"_index": h["_index"], "_id": h["_id"]}}, None) for h in hits]
            outcomes = self._bulk(es, deletes, "drop old posts")
            failed = [reason for ok, reason in outcomes if not ok and "not_found" not in reason]
            dropped += sum(1 for ok, _ in outcomes if ok)
            if failed:
                raise StoreError(
                    f"Elasticsearch retention could not delete {len(failed)} posts: {failed[0]}"
                )

    def _bulk(
        self,
        es: Elasticsearch,
        operations: Sequence[tuple[dict[str, Any], dict[str, Any] | None]],
        action: str,
    ) -> list[tuple[bool, str]]:
        """Run bulk operations in size-limited requests; (ok, reason) for each, in order."""
        outcomes: list[tuple[bool, str]] = []
        for chunk in _bulk_chunks(operations):
            body: list[dict[str, Any]] = []
            for meta, source in chunk:
                body.append(meta)
                if source is not None:
                    body.append(source)
            with _translate(action):
                # Refreshing once afterwards, not per request, keeps big batches fast.
                reply = es.bulk(operations=body, include_source_on_error=False)
            for item in reply["items"]:
                (result,) = item.values()
                status = int(result.get("status", 500))
                if 200 <= status < 300:
                    outcomes.append((True, ""))
                else:
                    outcomes.append((False, _describe_item_error(status, result.get("error"))))
        return outcomes

    def _refresh(self, es: Elasticsearch, indices: Sequence[str]) -> None:
        """Make writes visible to the next read, as they are in SQLite once committed."""
        if not indices:
            return
        for start in range(0, len(indices), _NAME_CHUNK):
            with _translate("refresh"):
                es.indices.refresh(
                    index=",".join(indices[start : start + _NAME_CHUNK]),
                    ignore_unavailable=True,
                    allow_no_indices=True,
                )

    def _lookup(self, es: Elasticsearch, ids: Sequence[str]) -> dict[str, _Stored]:
        """The stored copy of each id, found through the alias (mget needs one index)."""
        found: dict[str, _Stored] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            with _translate("look up posts"):
                reply = es.search(
                    index=self.alias,
                    query={"ids": {"values": chunk}},
                    # Room for a second copy left behind by an interrupted move.
                    size=min(2 * len(chunk), 10_000),
                    source_excludes=list(CHARS_FIELDS),
                    ignore_unavailable=True,
                )
            hits = sorted(reply["hits"]["hits"], key=lambda h: h["_source"].get("ingested_at", 0))
            for hit in hits:
                source = hit["_source"]
                stored = _Stored(
                    index=hit["_index"],
                    post=post_from_source(source),
                    content_hash=source.get("content_hash", ""),
                    ingested_at=int(source.get("ingested_at", 0)),
                )
                older = found.get(hit["_id"])
                if older is not None:
                    stored.stale_indices = [older.index, *older.stale_indices]
                found[hit["_id"]] = stored
        return found

    # -- reads ---------------------------------------------------------------------------

    def get(self, post_id: str) -> Post | None:
        return self.get_many([post_id]).get(post_id)

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]:
        ids = list(dict.fromkeys(post_ids))
        if not ids:
            return {}
        stored = self._lookup(self._ready(), ids)
        return {post_id: stored[post_id].post for post_id in ids if post_id in stored}

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
        with _translate("search posts"):
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
        with _translate("search posts"):
            reply = es.search(index=self.alias, ignore_unavailable=True, **request)
        if len(reply["hits"]["hits"]) <= limit:
            return reply, None
        with _translate("open a point in time"):
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
            if _pit_gone(exc):
                raise CursorError(
                    "the cursor has expired (a search is kept for 5 minutes between pages);"
                    " start the search again without a cursor"
                ) from exc
            if exc.meta.status == 400 and after is not None:
                # The first page ran the same query; only a cursor we did not make fails here.
                raise CursorError(_INVALID_CURSOR) from exc
            raise _store_error("search posts", exc) from exc
        except TransportError as exc:
            raise _store_error("search posts", exc) from exc
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
        with _translate("aggregate posts"):
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
            with _translate("aggregate posts"):
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
        with _translate("aggregate posts"):
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
            settled = max(settled, _CLOCK.last)
        with _translate("scan posts"):
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


# -- helpers -------------------------------------------------------------------------------


@contextmanager
def _translate(action: str) -> Iterator[None]:
    """Turn client exceptions into the product's store errors."""
    try:
        yield
    except (ApiError, TransportError) as exc:
        raise _store_error(action, exc) from exc


def _store_error(action: str, exc: ApiError | TransportError) -> StoreError:
    if isinstance(exc, EsConnectionError | ConnectionTimeout):
        return StoreUnavailable(f"Elasticsearch cannot be reached to {action}: {exc}")
    if isinstance(exc, ApiError):
        message = f"Elasticsearch could not {action}: {_describe_api_error(exc)}"
        if exc.meta.status in (429, 503):  # overloaded or no master: worth retrying later
            return StoreUnavailable(message)
        return StoreError(message)
    return StoreError(f"Elasticsearch could not {action}: {exc}")


def _describe_api_error(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        return _describe_item_error(exc.meta.status, error)
    return f"HTTP {exc.meta.status}: {exc.message}"


def _describe_item_error(status: int, error: Any) -> str:
    if not isinstance(error, dict):
        return f"HTTP {status}: {error or 'unknown error'}"
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}".rstrip(": ")
    cause = error.get("caused_by")
    if isinstance(cause, dict) and cause.get("reason"):
        text += f" (caused by {cause.get('type', 'error')}: {cause['reason']})"
    roots = error.get("root_cause")
    root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], dict) else {}
    # "all shards failed" says little; the root cause says why.
    if root.get("reason") and root.get("reason") != error.get("reason") and "caused by" not in text:
        text += f" (root cause {root.get('type', 'error')}: {root['reason']})"
    return text


def _pit_gone(exc: ApiError) -> bool:
    text = json.dumps(exc.body) if isinstance(exc.body, dict) else str(exc.body)
    return exc.meta.status == 404 or "search_context_missing_exception" in text


def _bulk_chunks(
    operations: Sequence[tuple[dict[str, Any], dict[str, Any] | None]],
) -> Iterator[Sequence[tuple[dict[str, Any], dict[str, Any] | None]]]:
    start, size = 0, 0
    for position, (meta, source) in enumerate(operations):
        item = len(json.dumps(meta)) + (
            len(json.dumps(source, ensure_ascii=False).encode()) if source is not None else 0
        )
        if position > start and (
            position - start >= _BULK_MAX_OPS or size + item > _BULK_MAX_BYTES
        ):
            yield operations[start:position]
            start, size = position, 0
        size += item
    if start < len(operations):
        yield operations[start:]


def _is_time_key(values: list[Any]) -> bool:
    return (
        len(values) == 2
        and isinstance(values[0], int)
        and not isinstance(values[0], bool)
        and isinstance(values[1], str)
    )


def _composite(source: dict[str, Any]) -> dict[str, Any]:
    return {"composite": {"size": _COMPOSITE_PAGE, "sources": [{"k": source}]}}
