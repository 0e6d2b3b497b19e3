"""The post-store protocol, and the pieces every backend shares: validation, cursors, buckets."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from core.errors import CursorError, InputError
from core.timezone import SHANGHAI
from store.models import (
    ANALYSIS_FIELDS,
    Aggregations,
    Bucket,
    Failure,
    Interval,
    Post,
    PostFilter,
    ScanPage,
    SearchPage,
    SortOrder,
    TimeBucket,
    UpdateResult,
    UpsertResult,
)
from store.signatures import SignatureIndex

MAX_PAGE_SIZE = 500
MAX_BATCH = 10_000


@runtime_checkable
class PostStore(Protocol):
    """What the rest of the product may ask of a post store.

    Implementations create their connection lazily, on first use, so that constructing one
    never touches the network or the disk.
    """

    backend: str

    def upsert(self, posts: Iterable[Post | Mapping[str, Any]]) -> UpsertResult:
        """Create or update posts by id; an invalid item fails alone, with its reason."""
        ...

    def get(self, post_id: str) -> Post | None: ...

    def get_many(self, post_ids: Sequence[str]) -> dict[str, Post]: ...

    def search(
        self,
        query: str = "",
        *,
        filters: PostFilter | None = None,
        sort: SortOrder = SortOrder.TIME,
        limit: int = 20,
        cursor: str | None = None,
    ) -> SearchPage: ...

    def aggregate(
        self,
        query: str = "",
        *,
        filters: PostFilter | None = None,
        interval: Interval = Interval.HOUR,
        top_keywords: int = 20,
    ) -> Aggregations: ...

    def scan(self, *, after: str | None = None, limit: int = 500) -> ScanPage:
        """Posts created or changed after `after`, oldest first; resume from the page's cursor."""
        ...

    def update_analysis(self, updates: Mapping[str, Mapping[str, Any]]) -> UpdateResult:
        """Set analysis fields (sentiment, cluster_id, ...) on many posts at once."""
        ...

    def drop_older_than(self, days: int, *, now: datetime | None = None) -> int:
        """Delete posts published more than `days` days before `now`; return how many."""
        ...

    def count(self) -> int: ...

    def signatures(self) -> SignatureIndex:
        """The near-duplicate signatures kept beside the posts, shared by every writer."""
        ...

    def ping(self) -> bool:
        """Whether the backend answers; never raises."""
        ...

    def close(self) -> None: ...


def validate_batch(
    items: Iterable[Post | Mapping[str, Any]],
) -> tuple[list[tuple[int, Post]], list[Failure]]:
    """Split a batch into valid posts and failures; the last copy of a repeated id wins."""
    valid: dict[str, tuple[int, Post]] = {}
    failures: list[Failure] = []
    for index, item in enumerate(items):
        if index >= MAX_BATCH:
            raise InputError(f"a batch may hold at most {MAX_BATCH} posts")
        if isinstance(item, Post):
            post = item
        else:
            try:
                post = Post.model_validate(item)
            except ValidationError as exc:
                raw_id = item.get("id") if isinstance(item, Mapping) else None
                failures.append(
                    Failure(
                        index=index,
                        id=raw_id if isinstance(raw_id, str) else None,
                        reason=describe_validation_error(exc),
                    )
                )
                continue
        valid.pop(post.id, None)
        valid[post.id] = (index, post)
    return list(valid.values()), failures


def describe_validation_error(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'post'}: {err['msg']}" for err in exc.errors()
    )


def check_analysis_update(post_id: str, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - ANALYSIS_FIELDS
    if unknown:
        raise InputError(
            f"post {post_id}: only analysis fields can be updated, not {sorted(unknown)}"
        )


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")


def encode_cursor(kind: str, values: list[Any]) -> str:
    blob = json.dumps({"k": kind, "v": values}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(blob.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["k"] != kind or not isinstance(data["v"], list):
            raise ValueError("cursor of another kind")
        return data["v"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CursorError(
            "the cursor is not valid for this request; start again without one"
        ) from exc


def to_micros(value: datetime) -> int:
    return int(value.timestamp()) * 1_000_000 + value.microsecond


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, SHANGHAI).replace(
        microsecond=value % 1_000_000
    )


def bucket_width(interval: Interval) -> timedelta:
    return timedelta(hours=1) if interval is Interval.HOUR else timedelta(days=1)


def fill_buckets(counts: dict[datetime, int], interval: Interval) -> list[TimeBucket]:
    """Every bucket from the first to the last non-empty one, empty ones as zero."""
    if not counts:
        return []
    step = bucket_width(interval)
    first, last = min(counts), max(counts)
    buckets = []
    current = first
    while current <= last:
        buckets.append(TimeBucket(start=current, count=counts.get(current, 0)))
        current += step
    return buckets


def iter_scan(
    store: PostStore, *, after: str | None = None, limit: int = 500
) -> Iterator[ScanPage]:
    """Every page after `after` until the store has no more."""
    while True:
        page = store.scan(after=after, limit=limit)
        if not page.posts:
            return
        yield page
        after = page.cursor


def retention_cutoff(days: int, now: datetime | None) -> int:
    """The publication time (microseconds) before which retention drops posts."""
    moment = now or datetime.now(SHANGHAI)
    return to_micros(moment - timedelta(days=days))


def search_cursor_kind(query: str, filters: PostFilter | None, sort: SortOrder) -> str:
    """Ties a cursor to the request it came from, so it cannot page another search."""
    request = json.dumps(
        [query, filters.model_dump(mode="json") if filters else None, sort.value],
        ensure_ascii=False,
        sort_keys=True,
    )
    return f"search-{sort.value}-" + hashlib.blake2b(request.encode(), digest_size=6).hexdigest()


def keep_analysis(post: Post, old: Post) -> Post:
    """A re-crawl that lacks analysis fields keeps those the analysis already wrote, and a
    re-crawl that gives the time less precisely keeps the more precise one (`keep_exact_time`).
    """
    kept: dict[str, Any] = {
        name: getattr(old, name)
        for name in ANALYSIS_FIELDS
        if getattr(post, name) is None and getattr(old, name) is not None
    }
    kept.update(keep_exact_time(post, old))
    return post.model_copy(update=kept) if kept else post


# How far apart two readings of one publication time may be and still be the same moment: a
# feed's bare date is often the next day in another zone (2019-06-16 for 2019-06-15 08:18).
_SAME_MOMENT = timedelta(hours=48)
_RANK = {"day": 0, "minute": 1, "second": 2}


def keep_exact_time(post: Post, old: Post) -> dict[str, Any]:
    """The stored publication time, when it was given more precisely than the new one.

    A list page's "06-27" must not undo the exact time an earlier detail page gave, and the
    other way round the exact time replaces the bare date (the new post already has it).
    Posts stored before precision was recorded (None) are left as the new crawl says.
    """
    if post.published_precision is None or old.published_precision is None:
        return {}
    if _RANK[old.published_precision] <= _RANK[post.published_precision]:
        return {}
    if abs(old.published_at - post.published_at) > _SAME_MOMENT:
        return {}
    return {"published_at": old.published_at, "published_precision": old.published_precision}


def ranked(counts: Mapping[Any, int]) -> list[Bucket]:
    """Groups by count, most first, ties by key: one order for every backend."""
    ordered = sorted(
        ((str(k), n) for k, n in counts.items() if n > 0), key=lambda kn: (-kn[1], kn[0])
    )
    return [Bucket(key=k, count=n) for k, n in ordered]


def same_but_fetch_time(new: Post, old: Post) -> bool:
    """Whether two copies of a post differ at most in when they were fetched."""

    def dump(post: Post) -> dict[str, Any]:
        return post.model_dump(mode="json", exclude_none=True, exclude={"fetched_at"})

    return dump(new) == dump(old)
