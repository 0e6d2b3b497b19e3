"""What one crawl of one source carries: its config, its writer and what it has seen."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import ItemRejected
from core.timezone import SHANGHAI
from crawler.normalize import TimeReading
from crawler.pipeline import PostWriter, Quarantine, prepare
from crawler.runs import RunSummary
from crawler.sources import AnySource, BoardSource
from store.models import Post


@dataclass
class CrawlContext:
    """The state of one run: spiders read the incremental marks, the pipeline feeds it items."""

    source: AnySource
    writer: PostWriter
    quarantine: Quarantine
    # From earlier runs: the newest post seen, and items to look at again (native id -> URL).
    last_seen_at: datetime | None = None
    last_seen_id: str | None = None
    pending: dict[str, str] = field(default_factory=dict)
    # The product's secret key, which board-export authors are pseudonymised with.
    author_key: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(SHANGHAI))
    started: float = field(default_factory=time.monotonic)
    items_seen: int = 0
    newest_at: datetime | None = None
    newest_id: str | None = None
    errors: list[str] = field(default_factory=list)
    # Where the reply of a login wall is kept, once the crawl met one (the run is auth_required).
    auth_wall: Path | None = None
    # Set when the run closes.
    summary: RunSummary | None = None

    def seen_before(self, published_at: datetime | None, native_id: str | None = None) -> bool:
        """Whether an earlier run already reached this item, so paging can stop here."""
        if native_id is not None and native_id == self.last_seen_id:
            return True
        if published_at is None or self.last_seen_at is None:
            return False
        return published_at < self.last_seen_at

    def accept(self, raw: dict[str, Any]) -> Post | None:
        """Run one raw item through the pipeline; a rejected one goes to the quarantine."""
        self.items_seen += 1
        raw.setdefault("kind", self.source.kind)
        try:
            post = prepare(raw, self.source.name, now=self.now, reading=self.reading)
        except ItemRejected as exc:
            self.quarantine.add(raw.get("origin"), str(exc), raw)
            return None
        self.writer.add(post)
        self._observe(post, raw.get("native_id"))
        return post

    def reject(self, origin: str | None, reason: str, raw: object = None) -> None:
        """A page or row that yielded no item at all (broken markup, unreadable file)."""
        self.quarantine.add(origin, reason, raw)

    def reject_item(self, origin: str | None, reason: str, raw: object) -> None:
        """An item the spider could not map: counted as seen, and quarantined."""
        self.items_seen += 1
        self.quarantine.add(origin, reason, raw)

    def login_required(self, origin: str, reason: str, body: bytes) -> Path:
        """The source answered with its login wall: its reply is kept next to the quarantine
        file (``<source>.auth-<UTC time>.body``), and a quarantine record names that file."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.quarantine.path.with_name(f"{self.source.name}.auth-{stamp}.body")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        self.auth_wall = path
        message = f"login required ({reason}); the reply is kept in {path}"
        self.quarantine.add(origin, message, {"body_file": str(path)})
        self.error(f"{origin}: {message}")
        return path

    def error(self, message: str) -> None:
        self.errors.append(message)

    def _observe(self, post: Post, native_id: object) -> None:
        if self.newest_at is None or post.published_at > self.newest_at:
            self.newest_at = post.published_at
            self.newest_id = str(native_id) if native_id is not None else post.id
        # A board message waiting for its official reply is fetched again on later runs (its
        # detail page; a board read from JSON re-reads its recent pages: `refresh_hours`).
        html_board = isinstance(self.source, BoardSource) and self.source.selectors is not None
        if html_board and native_id is not None and post.url:
            if post.reply is None:
                self.pending[str(native_id)] = post.url
            else:
                self.pending.pop(str(native_id), None)

    @property
    def reading(self) -> TimeReading:
        """How this source's times are read: its own patterns, day or month first."""
        return TimeReading(tuple(self.source.time_formats), self.source.dayfirst)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started
