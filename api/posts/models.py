"""Response shapes of the post endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from store.models import Aggregations, Post, SearchPage


class PostHitRead(BaseModel):
    post: Post
    # HTML-escaped text with each match wrapped in <mark>, safe to insert as HTML.
    snippet: str
    score: float | None


class PostSearchRead(BaseModel):
    hits: list[PostHitRead]
    total: int
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: SearchPage) -> PostSearchRead:
        return cls(
            hits=[PostHitRead(post=h.post, snippet=h.snippet, score=h.score) for h in page.hits],
            total=page.total,
            next_cursor=page.next_cursor,
        )


class BucketRead(BaseModel):
    key: str
    count: int


class TimeBucketRead(BaseModel):
    start: datetime
    count: int


class PostAggregateRead(BaseModel):
    total: int
    volume: list[TimeBucketRead]
    by_source: list[BucketRead]
    by_sentiment: list[BucketRead]
    by_cluster: list[BucketRead]
    top_keywords: list[BucketRead]

    @classmethod
    def from_aggregations(cls, aggregations: Aggregations) -> PostAggregateRead:
        return cls.model_validate(aggregations.model_dump())
