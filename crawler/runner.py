"""Running crawls and imports: load the source's marks, crawl or read, record the run and the
new marks (through the `RunRecorder` the caller hands in)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.settings import Settings
from crawler.context import CrawlContext
from crawler.pipeline import PostWriter, Quarantine
from crawler.runs import RunRecorder, RunStatus, RunSummary, SourceBusy, SourceMarks
from crawler.sources import AnySource, export_of, listing_of, load_sources
from store import open_store
from store.base import PostStore

if TYPE_CHECKING:
    from analysis.enrich import PostAnalyzer

log = logging.getLogger(__name__)

LISTING_SPIDER = "crawler.spiders.listing.ListingSpider"
EXPORT_SPIDER = "crawler.spiders.hotline.HotlineSpider"
# The spider of each kind's HTML or feed form; a source read from a JSON API or an export
# gets the listing or export spider whatever its kind (`spider_for`).
SPIDERS = {
    "news": "crawler.spiders.news.NewsSpider",
    "board": "crawler.spiders.board.BoardSpider",
    "microblog": LISTING_SPIDER,
    "hotline": EXPORT_SPIDER,
}


def spider_for(source: AnySource) -> str:
    """The import path of the spider that reads `source`."""
    if listing_of(source) is not None:
        return LISTING_SPIDER
    if export_of(source) is not None:
        return EXPORT_SPIDER
    return SPIDERS[source.kind]


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
    recorder: RunRecorder,
    analyzer: PostAnalyzer | None,
    store: PostStore | None = None,
    on_item: Callable[[str], None] | None = None,
    not_within: float | None = None,
) -> list[RunSummary]:
    """Crawl the named sources once, together in one Scrapy process; returns one summary each.

    A source another worker holds (or, with `not_within`, crawled less than that many seconds
    ago) is skipped, and its summary says so. A Twisted reactor starts once per process, so
    call this once per process; the scheduler runs each crawl in a process of its own.
    """
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.misc import load_object

    from crawler.scrapy_settings import scrapy_settings
    from crawler.spiders.sending import secret_headers

    sources = pick_sources(settings, names)
    for source in sources:
        secret_headers(source)  # an unset variable stops the crawl before any run begins
    store = store or open_store(settings)
    skipped: list[RunSummary] = []
    with ExitStack() as stack:
        contexts = []
        for source in sources:
            run = recorded_run(settings, store, source, recorder, analyzer, not_within=not_within)
            try:
                contexts.append(stack.enter_context(run))
            except SourceBusy as busy:
                log.info("%s", busy)
                skipped.append(RunSummary(source.name, RunStatus.SKIPPED, errors=[str(busy)]))
        if not contexts:
            return skipped
        process = CrawlerProcess(scrapy_settings(settings, sources))
        # Creating the process reset Scrapy's loggers to DEBUG (its `configure_logging`), under
        # the product's handler; they follow the product's level instead.
        logging.getLogger("scrapy").setLevel(settings.log_level)
        for context in contexts:
            crawler = process.create_crawler(load_object(spider_for(context.source)))
            if on_item is not None:
                name = context.source.name
                crawler.signals.connect(
                    lambda *_, name=name, **__: on_item(name), signal=signals.item_scraped
                )
            process.crawl(crawler, context=context)
        process.start()
    # Each run is recorded as its context closes, above.
    return skipped + [context.summary for context in contexts if context.summary is not None]


def import_rows(
    settings: Settings,
    name: str,
    rows: Iterator[tuple[str, dict[str, Any] | None, str | None]],
    *,
    recorder: RunRecorder,
    analyzer: PostAnalyzer | None,
    store: PostStore | None = None,
    on_item: Callable[[str], None] | None = None,
) -> RunSummary:
    """Feed already-read rows through a source's pipeline: (origin, raw item or None, reason)."""
    (source,) = pick_sources(settings, [name])
    store = store or open_store(settings)
    with recorded_run(settings, store, source, recorder, analyzer) as context:
        for origin, raw, reason in rows:
            if raw is None:
                context.reject(origin, reason or "unreadable row")
                continue
            raw.setdefault("origin", origin)
            context.accept(raw)
            if on_item is not None:
                on_item(name)
    assert context.summary is not None  # set as the run closed
    return context.summary


def replay_spools(
    settings: Settings,
    *,
    recorder: RunRecorder,
    store: PostStore,
    analyzer: Callable[[], PostAnalyzer | None],
) -> list[RunSummary]:
    """Store what this worker's spool holds, one recorded run per source with posts waiting,
    each under the source's lease (a source another worker holds waits for the next try).

    Posts spool in the data directory of the worker that crawled them, while any worker may
    crawl the source next; so each worker replays its own spool on a timer, not only when it
    happens to crawl that source again. `analyzer` is called only when there is a spool.
    """
    spool_dir = settings.resolve(settings.crawler.spool_dir)
    waiting = sorted(spool_dir.glob("*.jsonl")) if spool_dir.is_dir() else []
    if not waiting:
        return []
    sources = load_sources(settings.crawler.sources_file)
    linker = analyzer()
    summaries = []
    for path in waiting:
        source = sources.get(path.stem)
        if source is None:
            log.error("%s holds posts of %s, which is no longer configured", path, path.stem)
            continue
        try:
            with recorded_run(settings, store, source, recorder, linker) as context:
                pass  # opening the writer replays the spool
        except SourceBusy as busy:
            log.info("replay of %s waits: %s", path.name, busy)
            continue
        assert context.summary is not None  # set as the run closed
        summaries.append(context.summary)
    return summaries


@contextmanager
def recorded_run(
    settings: Settings,
    store: PostStore,
    source: AnySource,
    recorder: RunRecorder,
    analyzer: PostAnalyzer | None,
    *,
    not_within: float | None = None,
) -> Iterator[CrawlContext]:
    """One recorded run: take the source's lease and its marks (SourceBusy when another worker
    has it), open the writer, then record it all and give the lease back.

    `crawl` and `import_rows` run inside it; tests drive a spider inside it in-process.
    """
    run_id, marks = recorder.start(source.name, not_within=not_within)
    writer = PostWriter(
        store,
        source.name,
        spool_dir=settings.resolve(settings.crawler.spool_dir),
        batch_size=settings.crawler.batch_size,
        analyzer=analyzer,
        on_stored=lambda count: recorder.written(source.name, count),
    )
    context = CrawlContext(
        source=source,
        writer=writer,
        quarantine=Quarantine(settings.resolve(settings.crawler.quarantine_dir), source.name),
        last_seen_at=marks.last_seen_at,
        last_seen_id=marks.last_seen_id,
        pending=marks.pending,
        author_key=settings.secret_key.get_secret_value(),
    )
    status, message = RunStatus.FAILED, None
    try:
        writer.open()
        yield context
        writer.close()
        status = RunStatus.OK
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary = _summarise(context, status)
        context.summary = summary
        new_marks = None
        # A crawl stopped by a login wall did not get as far as its marks would say.
        if status == RunStatus.OK and context.auth_wall is None:
            new_marks = SourceMarks(context.newest_at, context.newest_id, context.pending)
        recorder.finish(
            run_id,
            source.name,
            {**asdict(summary), "message": message, "source": source.name},
            new_marks,
        )
        log.info("%s", summary.line())


def _summarise(context: CrawlContext, status: RunStatus) -> RunSummary:
    stats = context.writer.stats
    errors = context.errors + stats.errors
    if status == RunStatus.OK and context.auth_wall is not None:
        status = RunStatus.AUTH_REQUIRED
    elif status == RunStatus.OK and (
        errors or context.quarantine.count or stats.spooled or stats.failed
    ):
        status = RunStatus.PARTIAL
    return RunSummary(
        source=context.source.name,
        status=str(status),
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
