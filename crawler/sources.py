"""The sources the office watches, as configured in `config/sources.yaml`.

A new source is a block of YAML, never new code: each block names one of four kinds (news,
board, microblog, hotline), and the kind's spider reads its selectors or field mapping from it.
A board is read from HTML pages (`selectors`), a JSON API (`api`) or an export (`export`).
The options several kinds share are in `crawler.source_options`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.configfile import read_yaml
from core.errors import ConfigError
from crawler.source_options import AuthFailure, JsonListing, RequestOptions, TableExport


class Schedule(BaseModel):
    """A fixed interval (in minutes, or in seconds for a source that must be watched closely)
    or a cron expression (minute hour day month weekday)."""

    model_config = ConfigDict(extra="forbid")

    interval_minutes: int | None = Field(default=None, ge=1)
    interval_seconds: int | None = Field(default=None, ge=10)
    cron: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        given = [self.interval_minutes, self.interval_seconds, self.cron]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of interval_minutes, interval_seconds and cron")
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(self.cron)  # a ValueError names the bad field
        return self


class SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$",
        description="The source's name: lower case, digits, _ . - (post ids start with it).",
    )
    title: str = Field(default="", description="The name people know it by (江澜日报).")
    enabled: bool = Field(default=True, description="`yuqing crawl --all` and the scheduler.")
    official: bool = Field(
        default=False,
        description="The city's own account or portal: its posts are candidate first statements.",
    )
    region: str | None = Field(default=None, description="The region of posts that name none.")
    schedule: Schedule | None = Field(default=None, description="When the scheduler crawls it.")
    obey_robots: bool = Field(default=True, description="Honour the site's robots.txt.")
    user_agent: str | None = Field(default=None, description="Instead of crawler.user_agent.")
    max_concurrency: int = Field(
        default=2, ge=1, le=32, description="Requests at once to one host."
    )
    download_delay: float = Field(
        default=0.5, ge=0, description="Seconds between requests to one host."
    )
    timeout_seconds: float = Field(default=30, gt=0, description="Per request.")
    retries: int = Field(
        default=3, ge=0, le=10, description="Of a failed request (429 and 5xx back off)."
    )
    max_pages: int = Field(
        default=200, ge=1, description="Bound on list pages one crawl walks (endless paging)."
    )
    request: RequestOptions = Field(
        default_factory=RequestOptions,
        description="Method and body of the entry request; headers and cookies (from"
        " environment variables) for every request to its host.",
    )
    auth_failure: AuthFailure | None = Field(
        default=None, description="What a login wall looks like; the run is auth_required."
    )
    time_formats: list[str] = Field(
        default_factory=list,
        description="strptime patterns tried in order before the built-in formats, for every"
        " time of this source.",
    )
    dayfirst: bool = Field(
        default=False,
        description="Dates with the year last (05/06/2016): true reads day/month, false"
        " month/day (US exports).",
    )


class NewsSource(SourceBase):
    kind: Literal["news"]
    feed_url: str = Field(description="An RSS 2.0 or Atom feed.")
    follow_links: bool = Field(
        default=True, description="Read each entry's article page for the full text."
    )
    body_selector: str | None = Field(
        default=None,
        description="CSS or XPath of the article body when the generic extractor is not good"
        " enough.",
    )
    next_page: str | None = Field(
        default=None,
        description="CSS (::attr(href)) or XPath of an article's next-page link; the pages'"
        " texts are joined in order.",
    )
    max_article_pages: int = Field(
        default=20, ge=1, le=200, description="At most this many pages of one article."
    )


class BoardSelectors(BaseModel):
    """CSS selectors (``::text``/``::attr()`` allowed) or XPath (starting with ``/`` or ``(``)."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(description="Each message on a list page.")
    detail_link: str = Field(description="Inside an item: the link to its detail page.")
    next_page: str | None = Field(default=None, description="The next list page's link.")
    list_date: str | None = Field(
        default=None, description="Inside an item: its date, to stop at messages seen before."
    )
    title: str = Field(description="On a detail page: the subject.")
    body: str = Field(description="The message (its element's text).")
    author: str | None = None
    published_at: str = Field(description="The time the message was posted.")
    region: str | None = None
    category: str | None = None
    reply_body: str | None = Field(default=None, description="The official reply's text.")
    reply_department: str | None = Field(default=None, description="Who replied.")
    replied_at: str | None = Field(default=None, description="When they replied.")
    id_from_url: str | None = Field(
        default=None, description="A regex over the detail URL whose first group is the id."
    )


class BoardSource(SourceBase):
    """A message board, read one of three ways: HTML list and detail pages (`start_url` and
    `selectors`), a JSON API (`api`), or its exports (`export`)."""

    kind: Literal["board"]
    start_url: str | None = Field(default=None, description="The first list page (HTML).")
    selectors: BoardSelectors | None = None
    api: JsonListing | None = None
    export: TableExport | None = None

    @model_validator(mode="after")
    def _one_way(self) -> BoardSource:
        html = self.start_url is not None or self.selectors is not None
        if html and (self.start_url is None or self.selectors is None):
            raise ValueError("an HTML board needs both start_url and selectors")
        if sum((html, self.api is not None, self.export is not None)) != 1:
            raise ValueError("give exactly one of start_url with selectors, api, or export")
        return self


class MicroblogSource(JsonListing, SourceBase):
    kind: Literal["microblog"]


class HotlineSource(TableExport, SourceBase):
    kind: Literal["hotline"]


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
    """Every configured source by name; a bad file is one `ConfigError` naming each problem:
    the source, the key, and for an unknown key the keys known in that place."""
    from crawler.source_schema import describe_errors

    data = read_yaml(path, "sources file")
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}:\n{describe_errors(exc, data)}") from exc
    return {source.name: source for source in parsed.sources}


def listing_of(source: AnySource) -> JsonListing | None:
    """The JSON API a source is read from, if it is read from one."""
    if isinstance(source, MicroblogSource):
        return source
    return source.api if isinstance(source, BoardSource) else None


def export_of(source: AnySource) -> TableExport | None:
    """The export (CSV, XLSX, JSON) a source is read from, if it is read from one."""
    if isinstance(source, HotlineSource):
        return source
    return source.export if isinstance(source, BoardSource) else None
