"""The Elasticsearch post store's connection: the client made on first use, the index template,
the monthly indices behind one alias, lookups by id, and the client's errors turned into the
product's store errors."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch, TransportError
from elasticsearch import ConnectionError as EsConnectionError

from core.errors import ConfigError, StoreError, StoreUnavailable
from core.timezone import SHANGHAI
from store.elasticsearch.mapping import CHARS_FIELDS, INDEX_SETTINGS, MAPPINGS, post_from_source
from store.models import Post

LOOKUP_CHUNK = 1000  # ids per ids query, well under max_result_window
NAME_CHUNK = 50  # index names per delete or refresh request, to keep the URL short
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


INGEST_CLOCK = _IngestClock()


@dataclass
class Stored:
    """What a lookup found of a post: its current copy and any stale ones."""

    index: str
    post: Post
    content_hash: str
    ingested_at: int
    stale_indices: list[str] = field(default_factory=list)


class Connection:
    """The client and the indices of one prefix. Safe to share between threads."""

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
                    with translate("put the index template"):
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
                    with translate("add new fields to the existing indices"):
                        # The template shapes new month indices only; a field added since an
                        # index was made is added to it here (adding fields is always allowed).
                        es.indices.put_mapping(
                            index=f"{self.index_prefix}-*",
                            properties=MAPPINGS["properties"],
                            allow_no_indices=True,
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
        with translate("count posts"):
            return int(es.count(index=self.alias, ignore_unavailable=True)["count"])

    def drop_everything(self) -> None:
        """DESTRUCTIVE: delete every monthly index of this prefix and the index template.

        Meant for test isolation and `yuqing` reset; all posts of the prefix are gone.
        """
        es = self._es()
        with translate("list the indices to delete"):
            names = sorted(self._indices(es, expand_wildcards="all"))
        for start in range(0, len(names), NAME_CHUNK):
            # Explicit names, because action.destructive_requires_name refuses wildcards.
            with translate("delete indices"):
                es.indices.delete(index=",".join(names[start : start + NAME_CHUNK]))
        with translate("delete the index template"):
            try:
                es.indices.delete_index_template(name=self.template_name)
            except ApiError as exc:
                if exc.meta.status != 404:
                    raise
        self._template_ready = False

    def index_for(self, published_at: datetime) -> str:
        """The monthly index a post published at `published_at` belongs in."""
        local = published_at.astimezone(SHANGHAI)
        return f"{self.index_prefix}-{local.year:04d}.{local.month:02d}"

    def _indices(self, es: Elasticsearch, *, expand_wildcards: str = "open") -> list[str]:
        found = es.indices.get(index=f"{self.index_prefix}-*", expand_wildcards=expand_wildcards)
        # Another prefix may extend this one (yuqing-posts-t1-2024.01); only ours match.
        return [name for name in found if self._index_name.match(name)]

    def _refresh(self, es: Elasticsearch, indices: Sequence[str]) -> None:
        """Make writes visible to the next read, as they are in SQLite once committed."""
        if not indices:
            return
        for start in range(0, len(indices), NAME_CHUNK):
            with translate("refresh"):
                es.indices.refresh(
                    index=",".join(indices[start : start + NAME_CHUNK]),
                    ignore_unavailable=True,
                    allow_no_indices=True,
                )

    def _lookup(self, es: Elasticsearch, ids: Sequence[str]) -> dict[str, Stored]:
        """The stored copy of each id, found through the alias (mget needs one index)."""
        found: dict[str, Stored] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start : start + LOOKUP_CHUNK]
            with translate("look up posts"):
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
                stored = Stored(
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

    def get(self, post_id: str) -> Post | None:
        return self.get_many([post_id]).get(post_id)

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]:
        ids = list(dict.fromkeys(post_ids))
        if not ids:
            return {}
        stored = self._lookup(self._ready(), ids)
        return {post_id: stored[post_id].post for post_id in ids if post_id in stored}


@contextmanager
def translate(action: str) -> Iterator[None]:
    """Turn client exceptions into the product's store errors."""
    try:
        yield
    except (ApiError, TransportError) as exc:
        raise store_error(action, exc) from exc


def store_error(action: str, exc: ApiError | TransportError) -> StoreError:
    if isinstance(exc, EsConnectionError | ConnectionTimeout):
        return StoreUnavailable(f"Elasticsearch cannot be reached to {action}: {exc}")
    if isinstance(exc, ApiError):
        message = f"Elasticsearch could not {action}: {describe_api_error(exc)}"
        if exc.meta.status in (429, 503):  # overloaded or no master: worth retrying later
            return StoreUnavailable(message)
        return StoreError(message)
    return StoreError(f"Elasticsearch could not {action}: {exc}")


def describe_api_error(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        return describe_item_error(exc.meta.status, error)
    return f"HTTP {exc.meta.status}: {exc.message}"


def describe_item_error(status: int, error: Any) -> str:
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


def pit_gone(exc: ApiError) -> bool:
    text = json.dumps(exc.body) if isinstance(exc.body, dict) else str(exc.body)
    return exc.meta.status == 404 or "search_context_missing_exception" in text
