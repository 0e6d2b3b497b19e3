"""The sources the office watches, as configured in `config/sources.yaml`.

A new source is a block of YAML, never new code: each block names one of four kinds (news,
board, microblog, hotline), and the kind's spider reads its selectors or field mapping from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.configfile import load_model


class Schedule(BaseModel):
    """Either a fixed interval or a cron expression (minute hour day month weekday)."""

    model_config = ConfigDict(extra="forbid")

    interval_minutes: int | None = Field(default=None, ge=1)
    cron: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        if (self.interval_minutes is None) == (self.cron is None):
            raise ValueError("give exactly one of interval_minutes and cron")
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(self.cron)  # a ValueError names the bad field
        return self


class SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$")
    title: str = ""
    enabled: bool = True
    # Official sources (the city's own accounts and portal) supply candidate first statements.
    official: bool = False
    region: str | None = None
    schedule: Schedule | None = None
    obey_robots: bool = True
    user_agent: str | None = None
    max_concurrency: int = Field(default=2, ge=1, le=32)
    download_delay: float = Field(default=0.5, ge=0)
    timeout_seconds: float = Field(default=30, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    # Bounds against endless pagination: no crawl walks more list pages than this.
    max_pages: int = Field(default=200, ge=1)


class NewsSource(SourceBase):
    kind: Literal["news"]
    feed_url: str
    follow_links: bool = True
    # XPath/CSS for the article body when the generic extractor is not good enough.
    body_selector: str | None = None


class BoardSelectors(BaseModel):
    """CSS selectors (``::text``/``::attr()`` allowed) or XPath (starting with ``/`` or ``(``)."""

    model_config = ConfigDict(extra="forbid")

    item: str
    detail_link: str
    next_page: str | None = None
    list_date: str | None = None
    title: str
    body: str
    author: str | None = None
    published_at: str
    region: str | None = None
    category: str | None = None
    reply_body: str | None = None
    reply_department: str | None = None
    replied_at: str | None = None
    # A regex over the detail URL whose first group is the message's own id.
    id_from_url: str | None = None


class BoardSource(SourceBase):
    kind: Literal["board"]
    start_url: str
    selectors: BoardSelectors


class MicroblogPagination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["page", "cursor"]
    param: str  # query parameter that carries the page number or the cursor
    start: int = 1
    next_cursor_path: str | None = None  # dotted path of the next cursor in the reply
    has_more_path: str | None = None


class MicroblogSource(SourceBase):
    kind: Literal["microblog"]
    api_url: str
    items_path: str  # dotted path to the list of statuses, e.g. data.statuses
    item_path: str | None = None  # inside each list element, e.g. mblog
    pagination: MicroblogPagination
    # Post field -> dotted path in a status: id, text, published_at, author, author_verified,
    # reposts, comments, likes, region, url; plus repost_of for the original's status object
    # and reply_to for the id of the status a comment answers.
    fields: dict[str, str]


class HotlineSource(SourceBase):
    kind: Literal["hotline"]
    url: str | None = None  # an HTTP endpoint serving the export; or import a file by hand
    format: Literal["csv", "xlsx", "json"] = "csv"
    encoding: str | None = None  # for CSV; detected when absent
    # Post field -> column header: case_no, published_at (received), channel, region,
    # category, title, text, assigned_department, status, deadline, reply.
    columns: dict[str, str]


AnySource = NewsSource | BoardSource | MicroblogSource | HotlineSource
Source = Annotated[AnySource, Field(discriminator="kind")]


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source]

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        names = [s.name for s in self.sources]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(repeated)}")
        return self


def load_sources(path: Path) -> dict[str, AnySource]:
    """Every configured source by name; a bad file is one `ConfigError` naming the problem."""
    parsed = load_model(path, SourcesFile, "sources file")
    return {source.name: source for source in parsed.sources}
