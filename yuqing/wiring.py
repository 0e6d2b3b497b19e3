"""Building the product's parts from the settings: the one place that knows which store, which
tracker database, which analysis files and which run recorder a command or job works with."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from core.settings import Settings, get_settings

# The parts are imported where they are built, so that a command loads only what it uses
# (`yuqing --help` would otherwise import the whole product).
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from analysis.enrich import AnalysisFiles, PostAnalyzer
    from api.hot_issues.job import Job, PassResult
    from api.sources.recorder import DatabaseRunRecorder
    from store.base import PostStore

log = logging.getLogger(__name__)


def command_settings() -> Settings:
    """The settings, with logging set up for a command: libraries' chatter kept down."""
    settings = get_settings()
    # The level is on the handler too: a library that sets its own loggers' levels (Scrapy sets
    # its to DEBUG when a crawl starts) still prints nothing below the product's level.
    stderr = logging.StreamHandler()
    stderr.setLevel(settings.log_level)
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[stderr],
    )
    # Libraries narrate every migration step and print a traceback per connection retry; the
    # command reports the outcome itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    check_sources(settings)
    return settings


def check_sources(settings: Settings) -> None:
    """A sources file with an unknown or misspelt key stops every command at its start, with
    the key named: a setting silently ignored would crawl the wrong thing for months."""
    from crawler.sources import load_sources

    if settings.crawler.sources_file.exists():
        load_sources(settings.crawler.sources_file)


def store(settings: Settings) -> PostStore:
    from store import open_store

    return open_store(settings)


def tracker(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the tracker database, migrated to the newest schema first."""
    from api.database import make_engine, make_session_factory
    from api.migrating import migrate

    engine = make_engine(settings.database.url)
    migrate(engine)
    return make_session_factory(engine)


def analysis_files(settings: Settings) -> AnalysisFiles:
    from analysis.enrich import AnalysisFiles

    return AnalysisFiles(
        sentiment_model=settings.resolve(settings.analysis.sentiment_model),
        ngram_model=settings.resolve(settings.analysis.ngram_model),
        sentiment_engine=settings.analysis.sentiment_engine,
        departments_file=settings.analysis.departments_file,
        cache_dir=settings.resolve(settings.cache_dir),
    )


def analyzer(settings: Settings, post_store: PostStore | None = None) -> PostAnalyzer:
    """Per-post analysis with the configured model and vocabulary, linking near duplicates
    against the signatures in the post store (shared by every worker)."""
    from analysis.enrich import PostAnalyzer

    post_store = post_store or store(settings)
    return PostAnalyzer(analysis_files(settings), signatures=post_store.signatures())


def recorder(settings: Settings) -> DatabaseRunRecorder:
    """Crawl runs and source marks in the tracker database."""
    from api.sources.recorder import DatabaseRunRecorder

    coordination = settings.coordination
    return DatabaseRunRecorder(
        settings.database.url,
        worker=coordination.worker_name,
        lease_seconds=coordination.crawl_lease_seconds,
    )


def clustering_job(settings: Settings) -> Job:
    """The clustering job on its own store connection and database engine."""
    from api.hot_issues.config import segmenter
    from api.hot_issues.job import Job

    return Job(settings, store(settings), tracker(settings), segmenter(settings))


def run_in_background(settings: Settings, stop: threading.Event) -> threading.Thread:
    """Run a clustering pass every `analysis.interval_seconds` until `stop` is set (the demo's
    loop; the scheduler has its own)."""

    def loop() -> None:
        job = clustering_job(settings)
        while not stop.is_set():
            try:
                result = job.run()
                if result.scanned or result.flagged or result.alerts_raised:
                    log.info("analysis pass: %s", summary(result))
            except Exception:
                log.exception("analysis pass failed; retrying at the next interval")
            stop.wait(settings.analysis.interval_seconds)

    thread = threading.Thread(target=loop, name="analysis", daemon=True)
    thread.start()
    return thread


def summary(result: PassResult) -> str:
    return (
        f"{result.scanned} posts scanned, {result.assigned} clustered ({result.opened} new,"
        f" {result.merged} merged clusters), {result.unassigned} without a topic,"
        f" {result.expired} expired, {result.scored} scored, {result.flagged} newly"
        f" flagged, {result.alerts_raised} alerts, {result.deliveries_ok} delivered,"
        f" {result.deliveries_failed} failed deliveries in {result.seconds:.1f}s"
    )
