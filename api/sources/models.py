"""Per-source crawl state, crawl-run records, and their response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Float, Integer, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UTCDateTime, utcnow

_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")


class SourceState(Base):
    """What the last crawls of a source saw, so that the next one can stop early."""

    __tablename__ = "source_states"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_id: Mapped[str | None] = mapped_column(String(200))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Items worth a second look on the next run (board messages still awaiting a reply):
    # native id -> URL.
    pending: Mapped[dict[str, str]] = mapped_column(_JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CrawlRun(Base):
    """One run of one source: when, what it wrote, and what went wrong."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|partial|failed
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    spooled: Mapped[int] = mapped_column(Integer, default=0)
    replayed: Mapped[int] = mapped_column(Integer, default=0)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    errors: Mapped[list[str]] = mapped_column(_JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    # The worker process that ran it (`api.leases.service.this_process`).
    worker: Mapped[str | None] = mapped_column(String(160))


class CrawlRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    items_seen: int
    created: int
    updated: int
    unchanged: int
    failed: int
    quarantined: int
    spooled: int
    replayed: int
    duration_seconds: float | None
    errors: list[str]
    message: str | None
    worker: str | None = None


class SourceRead(BaseModel):
    """A configured source with its schedule and the outcome of its last run."""

    name: str
    kind: str
    title: str
    enabled: bool
    official: bool
    schedule: dict[str, Any] | None
    last_seen_at: datetime | None
    last_run: CrawlRunRead | None
