"""The Elasticsearch post store: Elasticsearch 9 behind the `PostStore` protocol. Writes live
here (upserts into monthly indices, analysis updates, retention); the connection and lookups
are in `connection`, search, aggregations and scans in `reads`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from elasticsearch import Elasticsearch

from core.errors import InputError, StoreError
from store import base
from store.elasticsearch.connection import (
    INGEST_CLOCK,
    describe_item_error,
    translate,
)
from store.elasticsearch.mapping import month_end_micros, to_document
from store.elasticsearch.reads import Reads
from store.elasticsearch.signatures import ElasticsearchSignatures
from store.models import STORED, Failure, Post, UpdateResult, UpsertResult

log = logging.getLogger(__name__)

_BULK_MAX_OPS = 1000
_BULK_MAX_BYTES = 8 * 1024 * 1024  # far below http.max_content_length (100 MB)
_DELETE_PAGE = 5000


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


class ElasticsearchPostStore(Reads):
    """Posts in Elasticsearch 9. Safe to share between threads; connects on first use."""

    _signatures: ElasticsearchSignatures | None = None

    def signatures(self) -> ElasticsearchSignatures:
        """The near-duplicate signatures kept beside these posts (an index of their own)."""
        if self._signatures is None:
            self._signatures = ElasticsearchSignatures(self)
        return self._signatures

    def drop_everything(self) -> None:
        """DESTRUCTIVE: every index of this prefix, its template and its signatures."""
        super().drop_everything()
        self.signatures().drop()

    def upsert(self, posts: Iterable[Post | Mapping[str, Any]]) -> UpsertResult:
        valid, failures = base.validate_batch(posts)
        result = UpsertResult(failures=failures, failed=len(failures))
        if not valid:
            return result
        es = self._ready()
        existing = self._lookup(es, [post.id for _, post in valid])

        writes: list[_Write] = []
        for index, post in valid:
            old = existing.get(post.id)
            if old is None:
                content_hash = post.content_hash()
                target = self.index_for(post.published_at)
                document = to_document(post, content_hash, INGEST_CLOCK.next())
                writes.append(_Write(index, post.id, "created", target, document, []))
                continue
            merged = base.keep_analysis(post, old.post)
            content_hash = merged.content_hash()
            target = self.index_for(merged.published_at)
            copies = [old.index, *old.stale_indices]
            stale = [name for name in copies if name != target]
            if old.content_hash == content_hash:
                if base.same_but_fetch_time(merged, old.post) and not old.stale_indices:
                    result.unchanged += 1
                    continue
                # An analysis-only change is not new content: scan must not hand it out again.
                document = to_document(merged, content_hash, old.ingested_at)
            else:
                document = to_document(merged, content_hash, INGEST_CLOCK.next())
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
                post = Post.model_validate(data, context=STORED)
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
        with translate("list the monthly indices"):
            names = self._indices(es)
        # Signatures of posts older than the cutoff can match nothing new worth linking.
        self.signatures().prune(cutoff)
        whole = [name for name in names if month_end_micros(name) <= cutoff]
        if whole:
            self._refresh(es, whole)
        for name in whole:
            # Every post in the month is older than the cutoff: the whole index goes.
            with translate(f"drop the index {name}"):
                dropped += int(es.count(index=name)["count"])
                es.indices.delete(index=name)
        query = {"range": {"published_us": {"lt": cutoff}}}
        while True:
            self._refresh(es, [self.alias])
            with translate("find posts to drop"):
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
            with translate(action):
                # Refreshing once afterwards, not per request, keeps big batches fast.
                reply = es.bulk(operations=body, include_source_on_error=False)
            for item in reply["items"]:
                (result,) = item.values()
                status = int(result.get("status", 500))
                if 200 <= status < 300:
                    outcomes.append((True, ""))
                else:
                    outcomes.append((False, describe_item_error(status, result.get("error"))))
        return outcomes


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
