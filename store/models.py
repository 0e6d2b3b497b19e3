"""The post record and the request and result shapes of the post store."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core.timezone import SHANGHAI
from store.pii import mask_pii, mask_words

# Fields that the analysis fills in after a post is stored. A re-crawl that does not carry them
# keeps what the analysis wrote; `update_analysis` may change only these.
ANALYSIS_FIELDS = frozenset(
    {
        "sentiment",
        "sentiment_snownlp",
        "tokens",
        "keywords",
        "simhash",
        "near_dup_of",
        "cluster_id",
        "department_guess",
        "department_confidence",
    }
)


class PostKind(StrEnum):
    NEWS = "news"
    BOARD = "board"
    MICROBLOG = "microblog"
    HOTLINE = "hotline"


class SentimentBand(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"
    UNSCORED = "unscored"


# Lower bounds of the bands on SnowNLP's 0..1 scale; a score is in the last band it reaches.
NEUTRAL_FROM = 0.4
POSITIVE_FROM = 0.6


def sentiment_band(score: float | None) -> SentimentBand:
    if score is None:
        return SentimentBand.UNSCORED
    if score >= POSITIVE_FROM:
        return SentimentBand.POSITIVE
    if score >= NEUTRAL_FROM:
        return SentimentBand.NEUTRAL
    return SentimentBand.NEGATIVE


def is_web_url(value: str) -> bool:
    """Whether `value` is an http(s) link, the only kind a page shows as a link: a
    `javascript:` or `data:` link in a crawled or loaded post would run in the reader's browser."""
    scheme, sep, rest = value.partition("://")
    return bool(sep and rest.strip()) and scheme.lower() in ("http", "https")


# The validation context of a post read back from a store: one stored before links were
# checked keeps its link (the pages show it as text), so that its row stays readable.
STORED = {"stored": True}


class Engagement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reposts: int = Field(default=0, ge=0)
    comments: int = Field(default=0, ge=0)
    likes: int = Field(default=0, ge=0)


class Reply(BaseModel):
    """An official reply that the source itself shows (message boards, hotline)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=100_000)
    department: str | None = Field(default=None, max_length=200)
    replied_at: AwareDatetime | None = None

    @field_validator("replied_at")
    @classmethod
    def _in_shanghai(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(SHANGHAI) if value is not None else None

    @field_validator("text", "department")
    @classmethod
    def _masked(cls, value: str | None) -> str | None:
        return mask_pii(value) if value else value


# What people read of a post (with its reply's text and department, its keywords and words),
# masked by `store.pii` whenever a post is validated: on every way in (crawl, import, load, the
# API) and on every read. Ids, URLs, case numbers and source names are identifiers, not prose,
# and stay as they are.
MASKED_FIELDS = (
    "title",
    "text",
    "author",
    "region",
    "category",
    "channel",
    "assigned_department",
    "status",
)


class Post(BaseModel):
    """One public post, hotline work order or article, as stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
    source: str = Field(min_length=1, max_length=100)
    kind: PostKind
    url: str | None = Field(default=None, max_length=4000)  # http(s) only: `_web_url`
    title: str = Field(default="", max_length=2000)
    text: str = Field(default="", max_length=200_000)
    # The source cut the text short ("…全文") and the full text could not be had.
    text_truncated: bool | None = None
    author: str | None = Field(default=None, max_length=200)
    published_at: AwareDatetime
    # How exactly the source gave `published_at`: a bare date ("06-27"), to the minute, or to
    # the second. None for posts stored before it was recorded.
    published_precision: Literal["day", "minute", "second"] | None = None
    fetched_at: AwareDatetime | None = None
    region: str | None = Field(default=None, max_length=100)
    engagement: Engagement = Field(default_factory=Engagement)
    reply: Reply | None = None
    is_repost_of: str | None = Field(default=None, max_length=200)
    # The post this one answers: a comment's status, a reply's message (the source's link).
    reply_to: str | None = Field(default=None, max_length=200)
    author_verified: bool | None = None
    # hotline work orders
    case_no: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=50)
    assigned_department: str | None = Field(default=None, max_length=200)
    status: str | None = Field(default=None, max_length=50)
    deadline: AwareDatetime | None = None
    # analysis
    sentiment: float | None = Field(default=None, ge=0.0, le=1.0)
    # SnowNLP's own score, kept beside `sentiment` (which may come from another model)
    sentiment_snownlp: float | None = Field(default=None, ge=0.0, le=1.0)
    tokens: list[str] | None = None
    keywords: list[str] | None = None
    simhash: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")
    near_dup_of: str | None = None
    cluster_id: str | None = None
    department_guess: str | None = None
    department_confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        stored = isinstance(info.context, dict) and info.context.get("stored")
        if not value or is_web_url(value) or stored:
            return value
        raise ValueError("must be an http:// or https:// link")

    @field_validator("published_at", "fetched_at", "deadline")
    @classmethod
    def _in_shanghai(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(SHANGHAI) if value is not None else None

    @field_validator("keywords")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(mask_words(value))) if value is not None else None

    @field_validator("tokens")
    @classmethod
    def _masked_words(cls, value: list[str] | None) -> list[str] | None:
        return mask_words(value) if value is not None else None

    @field_validator(*MASKED_FIELDS)
    @classmethod
    def _masked(cls, value: str | None) -> str | None:
        return mask_pii(value) if value else value

    @field_validator("title", "text")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        return value

    def content_hash(self) -> str:
        """A digest of what the source said, so a re-crawl of unchanged content writes nothing.

        The fetch time and the analysis fields are left out: fetching the same page again, or
        re-scoring it, is not a change of the post.
        """
        data = self.model_dump(mode="json", exclude={"fetched_at", *ANALYSIS_FIELDS})
        blob = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()

    def departments(self) -> list[str]:
        """Every department the post is linked to, for the department filter."""
        names = [self.assigned_department, self.department_guess]
        if self.reply is not None:
            names.append(self.reply.department)
        return sorted({n for n in names if n})


class Failure(BaseModel):
    """One item of a batch that was not written, and why."""

    index: int
    id: str | None
    reason: str


class UpsertResult(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[Failure] = []


class UpdateResult(BaseModel):
    updated: int = 0
    missing: list[str] = []


class SortOrder(StrEnum):
    TIME = "time"  # newest first
    RELEVANCE = "relevance"  # best match first, newest first on ties


class PostFilter(BaseModel):
    """Structured filters; every given filter must hold."""

    model_config = ConfigDict(extra="forbid")

    sources: list[str] | None = None
    kinds: list[PostKind] | None = None
    published_from: AwareDatetime | None = None  # inclusive
    published_to: AwareDatetime | None = None  # exclusive
    sentiment_min: float | None = Field(default=None, ge=0.0, le=1.0)
    sentiment_max: float | None = Field(default=None, ge=0.0, le=1.0)  # inclusive
    cluster_ids: list[str] | None = None
    regions: list[str] | None = None
    departments: list[str] | None = None


class SearchHit(BaseModel):
    post: Post
    score: float | None = None
    snippet: str = ""


class SearchPage(BaseModel):
    hits: list[SearchHit]
    total: int
    next_cursor: str | None = None


class Bucket(BaseModel):
    key: str
    count: int


class TimeBucket(BaseModel):
    start: datetime
    count: int


class Interval(StrEnum):
    HOUR = "hour"
    DAY = "day"


class Aggregations(BaseModel):
    total: int
    volume: list[TimeBucket]
    by_source: list[Bucket]
    by_sentiment: list[Bucket]
    by_cluster: list[Bucket]
    top_keywords: list[Bucket]


class ScanPage(BaseModel):
    """A batch of posts ingested after a cursor, and the cursor to resume from."""

    posts: list[Post]
    cursor: str | None


Backend = Literal["sqlite", "elasticsearch"]
JsonDict = dict[str, Any]
