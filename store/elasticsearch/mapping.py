"""The index template's mappings, and how a post becomes a document and back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.timezone import SHANGHAI
from store import base
from store.models import STORED, Post
from store.textindex import index_stream

# The token streams are large and only the index needs them; reads leave them out.
CHARS_FIELDS = ("title_chars", "body_chars", "reply_chars")


INDEX_ONLY_FIELDS = frozenset(
    {*CHARS_FIELDS, "departments", "published_us", "content_hash", "ingested_at"}
)


_MONTH_SUFFIX = re.compile(r"-(\d{4})\.(\d{2})$")


# Lucene refuses terms over 32766 bytes; longer values are kept in _source but not indexed.
_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 8191}


_SOURCE_ONLY_KEYWORD: dict[str, Any] = {"type": "keyword", "index": False, "doc_values": False}


_SOURCE_ONLY_TEXT: dict[str, Any] = {"type": "text", "index": False, "norms": False}


_TOKEN_STREAM: dict[str, Any] = {"type": "text", "analyzer": "whitespace"}


_DATE: dict[str, Any] = {"type": "date"}


_LONG: dict[str, Any] = {"type": "long"}


# double, not float: a float32 0.6 is not 0.6, and the band edges must compare as in SQLite.
_DOUBLE: dict[str, Any] = {"type": "double"}


MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        # the post itself
        "id": {"type": "keyword"},
        "source": _KEYWORD,
        "kind": {"type": "keyword"},
        "url": _SOURCE_ONLY_KEYWORD,
        "title": _SOURCE_ONLY_TEXT,
        "text": _SOURCE_ONLY_TEXT,
        "author": _KEYWORD,
        "published_at": _DATE,
        "published_precision": _KEYWORD,
        "text_truncated": {"type": "boolean"},
        "fetched_at": _DATE,
        "region": _KEYWORD,
        "engagement": {
            "dynamic": "strict",
            "properties": {"reposts": _LONG, "comments": _LONG, "likes": _LONG},
        },
        "reply": {
            "dynamic": "strict",
            "properties": {
                "text": _SOURCE_ONLY_TEXT,
                "department": _KEYWORD,
                "replied_at": _DATE,
            },
        },
        "is_repost_of": _KEYWORD,
        "reply_to": _KEYWORD,
        "author_verified": {"type": "boolean"},
        "case_no": _KEYWORD,
        "category": _KEYWORD,
        "channel": _KEYWORD,
        "assigned_department": _KEYWORD,
        "status": _KEYWORD,
        "deadline": _DATE,
        "sentiment": _DOUBLE,
        "sentiment_snownlp": _DOUBLE,
        "tokens": _SOURCE_ONLY_KEYWORD,
        "keywords": _KEYWORD,
        "simhash": {"type": "keyword"},
        "near_dup_of": _KEYWORD,
        "cluster_id": _KEYWORD,
        "department_guess": _KEYWORD,
        "department_confidence": _DOUBLE,
        # index-only
        "title_chars": _TOKEN_STREAM,
        "body_chars": _TOKEN_STREAM,
        "reply_chars": _TOKEN_STREAM,
        "departments": _KEYWORD,
        "published_us": _LONG,  # exact to the microsecond, unlike the millisecond date type
        "content_hash": {"type": "keyword"},
        "ingested_at": _LONG,  # epoch microseconds of the last create or content change
    },
}


INDEX_SETTINGS: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0}


def to_document(post: Post, content_hash: str, ingested_at: int) -> dict[str, Any]:
    document = post.model_dump(mode="json", exclude_none=True)
    document.update(
        title_chars=index_stream(post.title),
        body_chars=index_stream(post.text),
        reply_chars=index_stream(post.reply.text) if post.reply else "",
        departments=post.departments(),
        published_us=base.to_micros(post.published_at),
        content_hash=content_hash,
        ingested_at=ingested_at,
    )
    return document


def post_from_source(source: Mapping[str, Any]) -> Post:
    return Post.model_validate(
        {k: v for k, v in source.items() if k not in INDEX_ONLY_FIELDS and v is not None},
        context=STORED,
    )


def month_end_micros(index_name: str) -> int:
    """The first microsecond after the month an index holds (in Shanghai time)."""
    match = _MONTH_SUFFIX.search(index_name)
    assert match is not None  # names were filtered by the prefix's pattern
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return -(2**62)  # not a month we wrote; never dropped as a whole
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if year > 9999:
        return 2**62
    return base.to_micros(datetime(year, month, 1, tzinfo=SHANGHAI))
