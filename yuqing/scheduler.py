"""The scheduler wiring: every periodic job of the product, on one APScheduler."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from store import open_store
from yuqing.settings import Settings

log = logging.getLogger(__name__)


def build_scheduler(settings: Settings) -> BlockingScheduler:
    """A scheduler holding every job the settings call for; it is not started."""
    scheduler = BlockingScheduler(
        timezone=settings.timezone,
        # A job that is still running is not started again, and runs missed while the process
        # was down collapse into one.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    store = open_store(settings)
    if settings.store.retention_days:
        days = settings.store.retention_days
        scheduler.add_job(
            _logged("retention", lambda: store.drop_older_than(days)),
            CronTrigger(hour=3, minute=30, timezone=settings.timezone),
            id="retention",
            name=f"drop posts older than {days} days",
        )
    return scheduler


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
