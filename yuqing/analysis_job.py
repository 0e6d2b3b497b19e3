"""Wiring of the clustering job for the CLI, the scheduler and the demo: one `Job` on the
configured post store and tracker database, and a background loop for the demo."""

from __future__ import annotations

import logging
import threading

from api.alerts.job import Job, PassResult
from api.database import make_engine, make_session_factory, migrate
from core.settings import Settings
from store import open_store

log = logging.getLogger(__name__)


def make_job(settings: Settings) -> Job:
    """The job on its own store connection and database engine; migrates the database first."""
    engine = make_engine(settings.database.url)
    migrate(engine)
    return Job(settings, open_store(settings), make_session_factory(engine))


def run_in_background(settings: Settings, stop: threading.Event) -> threading.Thread:
    """Run a pass every `analysis.interval_seconds` until `stop` is set (the demo's loop)."""

    def loop() -> None:
        job = make_job(settings)
        while not stop.is_set():
            try:
                result: PassResult = job.run()
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
        f" {result.merged} merged"
        f" clusters), {result.expired} expired, {result.scored} scored, {result.flagged} newly"
        f" flagged, {result.alerts_raised} alerts, {result.deliveries_ok} delivered,"
        f" {result.deliveries_failed} failed deliveries in {result.seconds:.1f}s"
    )
