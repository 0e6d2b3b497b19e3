"""Hot issues (clusters of posts), their members, the clustering job's state, the alerts
raised on them, and the request and response shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UTCDateTime, utcnow

_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")


class HotStatus(StrEnum):
    """Triage status, set by analysts; the job sets `new`, an analyst's merge `merged`."""

    NEW = "new"
    WATCHING = "watching"
    PROMOTED = "promoted"
    DISMISSED = "dismissed"
    MERGED = "merged"


class HotIssue(Base):
    """One topic cluster: its centroid, its label and its latest hot score."""

    __tablename__ = "hot_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # False once no post has joined for the expiry window; expired clusters take no new posts.
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    merged_into: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500), default="")
    keywords: Mapped[list[str]] = mapped_column(_JSON, default=list)
    centroid: Mapped[dict[str, float]] = mapped_column(_JSON, default=dict)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # How far apart its posts may be, in hours: set by the kinds of source its posts came from.
    window_hours: Mapped[float] = mapped_column(Float, default=72.0)
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    # The highest score it ever had, and the time of the data it was scored at then.
    peak_score: Mapped[float | None] = mapped_column(Float)
    peak_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    signals: Mapped[list[dict[str, Any]]] = mapped_column(_JSON, default=list)
    explanation: Mapped[list[str]] = mapped_column(_JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(_JSON, default=dict)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # First time the score reached the alert threshold; kept while the topic lasts.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The score and the explanation at the moment it was flagged.
    flag_score: Mapped[float | None] = mapped_column(Float)
    flag_explanation: Mapped[list[str]] = mapped_column(_JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)  # the reason given when dismissed
    # Set once an analyst changed the cluster (status, merge, split): the job no longer
    # merges it with similar clusters on its own.
    curated: Mapped[bool] = mapped_column(Boolean, default=False)
    # The tracked issue it was promoted into; a hot issue is promoted once at most.
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("tracked_issues.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class HotIssuePost(Base):
    """A post's membership of a cluster, with what the score needs about the post."""

    __tablename__ = "hot_issue_posts"

    post_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hot_issue_id: Mapped[int] = mapped_column(ForeignKey("hot_issues.id"), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    source: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300), default="")
    sentiment: Mapped[float | None] = mapped_column(Float)
    engagement: Mapped[int] = mapped_column(Integer, default=0)
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str | None] = mapped_column(String(200))
    sensitive: Mapped[list[str]] = mapped_column(_JSON, default=list)
    # The post near-duplicates an earlier one (a repost or a copy): copies signal a campaign.
    copy: Mapped[bool] = mapped_column(Boolean, default=False)
    # The source shows an official reply to the post (boards, hotline work orders).
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when an analyst split the post off: the job never moves it again.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnalysisState(Base):
    """Small named values the clustering job keeps between runs (its scan cursor)."""

    __tablename__ = "analysis_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class HotIssueAlert(Base):
    """A hot issue crossing the alert threshold: the score and reasons at that moment, and the
    notification that carries it to the people on duty (`api.alerts`)."""

    __tablename__ = "hot_issue_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    hot_issue_id: Mapped[int] = mapped_column(ForeignKey("hot_issues.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))  # normal | urgent
    score: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(500))
    explanation: Mapped[list[str]] = mapped_column(_JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))


# -- response shapes ----------------------------------------------------------------------------


class SignalRead(BaseModel):
    name: str
    fired: bool
    points: float
    detail: dict[str, Any]
    text: str


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    post_id: str
    published_at: datetime
    source: str
    kind: str
    title: str
    sentiment: float | None
    engagement: int
    official: bool


class HotIssueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    active: bool
    title: str
    keywords: list[str]
    size: int
    score: float
    peak_score: float | None
    peak_at: datetime | None
    urgent: bool
    first_seen: datetime
    last_seen: datetime
    flagged_at: datetime | None
    flag_score: float | None
    flag_explanation: list[str]
    scored_at: datetime | None
    explanation: list[str]
    signals: list[SignalRead]
    stats: dict[str, Any]
    note: str | None
    merged_into: int | None
    issue_id: int | None


class HotIssueDetail(HotIssueRead):
    members: list[MemberRead]


class HotIssuePage(BaseModel):
    items: list[HotIssueRead]
    total: int


class DismissRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    other_ids: list[int] = Field(min_length=1, max_length=100)


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_ids: list[str] = Field(min_length=1, max_length=1000)


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(pattern="^(new|watching)$")
