"""The scheduler wiring: every periodic job of the product, on one APScheduler."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from api.alerts.service import deliver_due
from api.database import unit_of_work
from api.hot_issues.job import Job
from api.issues.warnings import check_clocks
from api.reports import daily, daily_document, documents
from core.settings import Settings
from core.timezone import ZONE_NAME
from crawler.sources import load_sources
from store import open_store
from store.base import PostStore
from yuqing import wiring

log = logging.getLogger(__name__)

# A job that is still running is not started again, and runs missed while the process was
# down collapse into one. Given to every job explicitly, so each job shows them.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def build_scheduler(settings: Settings) -> BlockingScheduler:
    """A scheduler holding every job the settings call for; it is not started."""
    scheduler = BlockingScheduler(timezone=ZONE_NAME, job_defaults=JOB_DEFAULTS)
    store = open_store(settings)
    if settings.store.retention_days:
        days = settings.store.retention_days
        scheduler.add_job(
            _logged("retention", lambda: store.drop_older_than(days)),
            CronTrigger(hour=3, minute=30, timezone=ZONE_NAME),
            id="retention",
            name=f"drop posts older than {days} days",
            **JOB_DEFAULTS,
        )
    scheduler.add_job(
        _logged("analyze", _analysis_pass(settings)),
        IntervalTrigger(seconds=settings.analysis.interval_seconds, timezone=ZONE_NAME),
        id="analyze",
        name="cluster new posts, score hot issues, deliver alerts",
        **JOB_DEFAULTS,
    )
    scheduler.add_job(
        _logged("clock warnings", _clock_warnings(settings)),
        IntervalTrigger(seconds=60, timezone=ZONE_NAME),
        id="clock-warnings",
        name="warn before and at each SLA deadline; deliver waiting notifications",
        **JOB_DEFAULTS,
    )
    hour, minute = (int(part) for part in settings.reports.daily_at.split(":"))
    scheduler.add_job(
        _logged("daily brief", _daily_brief(settings, store)),
        CronTrigger(hour=hour, minute=minute, timezone=ZONE_NAME),
        id="daily-brief",
        name=f"write the previous day's brief (舆情日报) at {settings.reports.daily_at}",
        **JOB_DEFAULTS,
    )
    for source in load_sources(settings.crawler.sources_file).values():
        if not source.enabled or source.schedule is None:
            continue
        schedule = source.schedule
        trigger = (
            IntervalTrigger(minutes=schedule.interval_minutes, timezone=ZONE_NAME)
            if schedule.interval_minutes
            else CronTrigger.from_crontab(schedule.cron or "", timezone=ZONE_NAME)
        )
        scheduler.add_job(
            _logged(f"crawl {source.name}", _crawl_in_subprocess(source.name)),
            trigger,
            id=f"crawl:{source.name}",
            name=f"crawl {source.name}",
            **JOB_DEFAULTS,
        )
    return scheduler


def _analysis_pass(settings: Settings) -> Callable[[], str]:
    """The clustering job, in this process (it is pure Python; no reactor to restart)."""
    job: Job | None = None

    def run() -> str:
        nonlocal job
        if job is None:
            job = wiring.clustering_job(settings)
        return wiring.summary(job.run())

    return run


def _clock_warnings(settings: Settings) -> Callable[[], str]:
    """Raise the deadline warnings due, then deliver what the outbox holds (warnings raised
    now, and any that a channel has not accepted yet)."""
    factory: sessionmaker[Session] | None = None

    def run() -> str:
        nonlocal factory
        if factory is None:
            factory = wiring.tracker(settings)
        raised = check_clocks(factory, settings)
        delivered = deliver_due(factory=factory, settings=settings.alerts)
        return (
            f"{raised} warnings raised; {delivered.sent} notifications sent,"
            f" {delivered.failed} waiting for a retry"
        )

    return run


def _daily_brief(settings: Settings, store: PostStore) -> Callable[[], str]:
    """The previous day's brief as DOCX and XLSX in the reports directory."""
    factory: sessionmaker[Session] | None = None

    def run() -> str:
        nonlocal factory
        if factory is None:
            factory = wiring.tracker(settings)
        with unit_of_work(factory) as session:
            brief = daily.build(
                session=session, store=store, settings=settings, day=daily.default_day(settings)
            )
        paths = documents.write(daily_document.report(brief), documents.output_dir(settings))
        return "wrote " + ", ".join(str(path) for path in paths)

    return run


CRAWL_TIMEOUT_SECONDS = 3 * 3600


def _crawl_in_subprocess(name: str) -> Callable[[], str]:
    """A crawl in a process of its own: Twisted's reactor cannot start twice in one process.

    The crawl records its own run (counts, errors, duration) in the tracker database.
    """

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "yuqing", "crawl", name],
            capture_output=True,
            text=True,
            timeout=CRAWL_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"crawl {name} exited {done.returncode}: {done.stderr.strip()[-2000:]}"
            )
        return done.stdout.strip()

    return run


def _logged(name: str, job: Callable[[], Any]) -> Callable[[], None]:
    """Run `job`, logging its outcome and duration; a failure is logged, never swallowed."""

    def run() -> None:
        started = time.monotonic()
        try:
            outcome = job()
        except Exception:
            log.exception("job %s failed after %.1fs", name, time.monotonic() - started)
            raise
        log.info("job %s done in %.1fs: %s", name, time.monotonic() - started, outcome)

    return run
