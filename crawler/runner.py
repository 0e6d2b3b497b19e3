"""Running crawls and imports: load state, crawl or read, record the run and the new state."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, ConflictError
from core.settings import Settings
from crawler.context import AnySource, CrawlContext
from crawler.pipeline import PostWriter, Quarantine
from crawler.sources import load_sources
from store import open_store
from store.base import PostStore

log = logging.getLogger(__name__)

SPIDERS = {
    "news": "crawler.spiders.news.NewsSpider",
    "board": "crawler.spiders.board.BoardSpider",
    "microblog": "crawler.spiders.microblog.MicroblogSpider",
    "hotline": "crawler.spiders.hotline.HotlineSpider",
}


@dataclass
class RunSummary:
    """The outcome of one source's run, as printed and as recorded."""

    source: str
    status: str
    items_seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    quarantined: int = 0
    spooled: int = 0
    replayed: int = 0
    duration_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.source}: {self.items_seen} items, {self.created} new, {self.updated} updated,"
            f" {self.unchanged} unchanged, {self.failed + self.quarantined} failed"
            + (f", {self.spooled} spooled" if self.spooled else "")
            + (f", {self.replayed} replayed" if self.replayed else "")
            + f" in {self.duration_seconds:.1f}s [{self.status}]"
        )


def pick_sources(settings: Settings, names: Iterable[str]) -> list[AnySource]:
    sources = load_sources(settings.crawler.sources_file)
    chosen = []
    for name in names:
        if name not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise ConfigError(
                f"no source named {name!r} in {settings.crawler.sources_file}; known: {known}"
            )
        chosen.append(sources[name])
    return chosen


def crawl(
    settings: Settings,
    names: list[str],
    *,
    store: PostStore | None = None,
    on_item: Callable[[str], None] | None = None,
) -> list[RunSummary]:
    """Crawl the named sources once, together in one Scrapy process; returns one summary each.

    A Twisted reactor starts once per process, so call this once per process; the scheduler
    runs each crawl in a process of its own.
    """
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.misc import load_object

    from crawler.scrapy_settings import scrapy_settings

    sources = pick_sources(settings, names)
    store = store or open_store(settings)
    with ExitStack() as stack:
        contexts = [stack.enter_context(_run(settings, store, source)) for source in sources]
        # Scrapy narrates every request at INFO; the run summary says what matters.
        logging.getLogger("scrapy").setLevel(max(logging.WARNING, logging.root.level))
        process = CrawlerProcess(scrapy_settings(settings, sources))
        for context in contexts:
            crawler = process.create_crawler(load_object(SPIDERS[context.source.kind]))
            if on_item is not None:
                name = context.source.name
                crawler.signals.connect(
                    lambda *_, name=name, **__: on_item(name), signal=signals.item_scraped
                )
            process.crawl(crawler, context=context)
        process.start()
    # Each run is recorded as its context closes, above.
    return [context.summary for context in contexts]  # type: ignore[attr-defined]


def import_rows(
    settings: Settings,
    name: str,
    rows: Iterator[tuple[str, dict[str, Any] | None, str | None]],
    *,
    store: PostStore | None = None,
    on_item: Callable[[str], None] | None = None,
) -> RunSummary:
    """Feed already-read rows through a source's pipeline: (origin, raw item or None, reason)."""
    (source,) = pick_sources(settings, [name])
    store = store or open_store(settings)
    with _run(settings, store, source) as context:
        for origin, raw, reason in rows:
            if raw is None:
                context.reject(origin, reason or "unreadable row")
                continue
            raw.setdefault("origin", origin)
            context.accept(raw)
            if on_item is not None:
                on_item(name)
    return context.summary  # type: ignore[attr-defined]


@contextmanager
def _run(settings: Settings, store: PostStore, source: AnySource) -> Iterator[CrawlContext]:
    """One recorded run: lock the source, load its state, open the writer, then record it all."""
    from api.database import migrate, session_scope
    from api.sources import service

    url = settings.database.url
    with _source_lock(settings.resolve(settings.data_dir) / "locks", source.name):
        migrate(url)
        with session_scope(url) as session:
            state = service.get_state(session=session, source=source.name)
            run_id = service.start_run(session=session, source=source.name).id
            marks = (state.last_seen_at, state.last_seen_id, dict(state.pending or {}))
        writer = PostWriter(
            store,
            source.name,
            spool_dir=settings.resolve(settings.crawler.spool_dir),
            batch_size=settings.crawler.batch_size,
        )
        context = CrawlContext(
            source=source,
            writer=writer,
            quarantine=Quarantine(settings.resolve(settings.crawler.quarantine_dir), source.name),
            last_seen_at=marks[0],
            last_seen_id=marks[1],
            pending=marks[2],
        )
        status, message = "failed", None
        try:
            writer.open()
            yield context
            writer.close()
            status = "ok"
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            summary = _summarise(context, status)
            context.summary = summary  # type: ignore[attr-defined]
            with session_scope(url) as session:
                service.finish_run(
                    session=session,
                    run_id=run_id,
                    outcome={**asdict(summary), "message": message, "source": source.name},
                )
                if status == "ok":
                    service.save_state(
                        session=session,
                        source=source.name,
                        last_seen_id=context.newest_id,
                        last_seen_at=context.newest_at,
                        pending=context.pending,
                    )
            log.info("%s", summary.line())


def _summarise(context: CrawlContext, status: str) -> RunSummary:
    stats = context.writer.stats
    errors = context.errors + stats.errors
    if status == "ok" and (errors or context.quarantine.count or stats.spooled or stats.failed):
        status = "partial"
    return RunSummary(
        source=context.source.name,
        status=status,
        items_seen=context.items_seen,
        created=stats.created,
        updated=stats.updated,
        unchanged=stats.unchanged,
        failed=stats.failed,
        quarantined=context.quarantine.count,
        spooled=stats.spooled,
        replayed=stats.replayed,
        duration_seconds=round(context.seconds, 3),
        errors=errors[:50],
    )


@contextmanager
def _source_lock(directory: Path, source: str) -> Iterator[None]:
    """The same source never runs twice at once, whether from the CLI or the scheduler."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{source}.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ConflictError(f"source {source} is being crawled already (pid {holder})") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
