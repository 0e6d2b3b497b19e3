"""The scheduler wiring: every periodic job of the product, on one APScheduler.

Any number of schedulers may share one store and one tracker database (README, "Scaling
out"). Every scheduler tries every source at its interval, and the source's lease lets one
crawl it; a source crawled by another worker moments ago is skipped. The clustering job,
deadline warnings and retention run on the leader only (`api.leases.leader`); each day's brief
is written once, by whichever worker claims it. Stored posts nudge the leader's clustering job
(`api.hot_issues.nudge`), so alerts do not wait for its interval.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from api.alerts.service import deliver_due
from api.database import unit_of_work
from api.hot_issues import nudge, state
from api.hot_issues.job import Job
from api.issues.warnings import check_clocks
from api.leases import service as leases
from api.leases.leader import Leadership
from api.reports import daily, daily_document, documents
from core.settings import Settings
from core.timezone import SHANGHAI, ZONE_NAME
from crawler.runner import replay_spools
from crawler.sources import AnySource, load_sources
from store import open_store
from store.base import PostStore
from yuqing import wiring

log = logging.getLogger(__name__)

# A job that is still running is not started again, and runs missed while the process was
# down collapse into one. Given to every job explicitly, so each job shows them.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
# A scheduled crawl is skipped when another worker began one of the source less than this
# share of its interval ago.
NOT_WITHIN_SHARE = 0.5
# The executor crawls run on.
CRAWLS = "crawls"
# How long a worker may take over writing a day's brief before another may try.
BRIEF_LEASE_SECONDS = 600


class Worker:
    """One scheduler process: its jobs, its share in the leadership, and the nudge listener."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        leases.name_this_process(settings.coordination.worker_name)
        self.scheduler = BlockingScheduler(
            timezone=ZONE_NAME,
            job_defaults=JOB_DEFAULTS,
            # Crawls run in processes of their own, at most `crawls_at_once` of them per
            # worker: the rest wait their turn, and meanwhile other workers take them.
            executors={
                "default": ThreadPoolExecutor(10),
                CRAWLS: ThreadPoolExecutor(settings.coordination.crawls_at_once),
            },
        )
        self._factory: sessionmaker[Session] | None = None
        self._job: Job | None = None
        self._pass_lock = threading.Lock()
        self._again = threading.Event()
        self._nudged = threading.Event()
        self._stopping = threading.Event()
        self.leadership: Leadership | None = None
        self.listener: nudge.Listener | None = None
        _add_jobs(self, settings, open_store(settings))

    @property
    def factory(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = wiring.tracker(self.settings)
        return self._factory

    @property
    def leading(self) -> bool:
        return self.leadership is not None and self.leadership.leading

    def start(self) -> None:
        """Join the workers (leadership, nudges), then run the jobs until stopped."""
        coordination = self.settings.coordination
        self.leadership = Leadership(
            self.factory, coordination.leader_lease_seconds, on_gain=self._took_lead
        ).start()
        factory = self.factory
        engine = factory.kw["bind"]
        self.listener = nudge.Listener(
            engine, factory, self._nudge, poll_seconds=coordination.nudge_poll_seconds
        ).start()
        threading.Thread(target=self._nudged_passes, name="nudged passes", daemon=True).start()
        try:
            self.scheduler.start()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
        if self.listener is not None:
            self.listener.stop()
        if self.leadership is not None:
            self.leadership.stop()

    def _took_lead(self, previous: str | None) -> None:
        # The previous leader stopped renewing: free the clustering lease it may have died
        # holding, and run a pass now rather than at the next interval.
        if previous is not None and state.free_lease_of(self.factory, previous):
            log.info("freed the clustering lease %s held", previous)
        self._nudged.set()

    def _nudge(self, why: str) -> None:
        if self.leading:
            log.debug("nudged: %s", why)
            self._nudged.set()

    def _nudged_passes(self) -> None:
        # Elasticsearch's scan leaves out posts younger than its settle time (their ingest
        # clocks may still be overtaken); a pass sooner than that would find nothing.
        settings = self.settings
        settle = (
            settings.elasticsearch.scan_settle_seconds
            if settings.store.backend == "elasticsearch"
            else 0.0
        )
        while True:
            self._nudged.wait()
            if self._stopping.is_set():
                return
            time.sleep(settle + 0.1 if settle else 0.0)
            self._nudged.clear()
            try:
                log.info("nudged pass: %s", self.analysis_pass())
            except Exception:
                log.exception("nudged clustering pass failed; the interval will try again")

    def analysis_pass(self) -> str:
        """A clustering pass if this worker leads; one already running is asked to run again
        when it ends (the posts that woke us arrived after it began)."""
        if not self.leading:
            holder = self.leadership.current() if self.leadership is not None else None
            return f"skipped: {holder or 'no worker'} leads"
        if not self._pass_lock.acquire(blocking=False):
            self._again.set()
            return "a pass is running; it runs again when it ends"
        try:
            outcomes = []
            while True:
                self._again.clear()
                if self._job is None:
                    self._job = wiring.clustering_job(self.settings)
                    # Load the dictionary now, not while the first burst waits for its alert.
                    self._job.segmenter.segment("停水")
                outcomes.append(wiring.summary(self._job.run(leading=lambda: self.leading)))
                if not self._again.is_set() or not self.leading:
                    return "; ".join(outcomes)
        finally:
            self._pass_lock.release()

    def leader_only(self, what: str, job: Callable[[], str]) -> Callable[[], str]:
        def run() -> str:
            if not self.leading:
                return f"skipped {what}: not the leader"
            return job()

        return run


def build_scheduler(settings: Settings) -> BlockingScheduler:
    """A scheduler holding every job the settings call for; it is not started."""
    return Worker(settings).scheduler


def _add_jobs(worker: Worker, settings: Settings, store: PostStore) -> None:
    scheduler = worker.scheduler
    if settings.store.retention_days:
        days = settings.store.retention_days
        scheduler.add_job(
            _logged(
                "retention",
                worker.leader_only("retention", lambda: f"{store.drop_older_than(days)} dropped"),
            ),
            CronTrigger(hour=3, minute=30, timezone=ZONE_NAME),
            id="retention",
            name=f"drop posts older than {days} days",
            **JOB_DEFAULTS,
        )
    started = datetime.now(SHANGHAI)
    scheduler.add_job(
        _logged("analyze", worker.analysis_pass),
        IntervalTrigger(seconds=settings.analysis.interval_seconds, timezone=ZONE_NAME),
        next_run_time=started,
        id="analyze",
        name="cluster new posts, score hot issues, deliver alerts (on the leader)",
        **JOB_DEFAULTS,
    )
    scheduler.add_job(
        _logged("clock warnings", worker.leader_only("warnings", _clock_warnings(worker))),
        IntervalTrigger(seconds=60, timezone=ZONE_NAME),
        id="clock-warnings",
        name="warn before and at each SLA deadline; deliver waiting notifications",
        **JOB_DEFAULTS,
    )
    scheduler.add_job(
        _logged("replay spool", _replay_spool(worker, store)),
        IntervalTrigger(seconds=settings.crawler.replay_seconds, timezone=ZONE_NAME),
        id="replay-spool",
        name="store the posts this worker spooled while the store was down",
        **JOB_DEFAULTS,
    )
    hour, minute = (int(part) for part in settings.reports.daily_at.split(":"))
    scheduler.add_job(
        _logged("daily brief", _daily_brief(worker, store)),
        CronTrigger(hour=hour, minute=minute, timezone=ZONE_NAME),
        id="daily-brief",
        name=f"write the previous day's brief (舆情日报) at {settings.reports.daily_at}, once",
        **JOB_DEFAULTS,
    )
    for source in load_sources(settings.crawler.sources_file).values():
        if not source.enabled or source.schedule is None:
            continue
        trigger = _trigger(source)
        # A source on an interval is crawled as the worker starts (unless another worker just
        # did); one on cron times waits for its time.
        first = {"next_run_time": started} if isinstance(trigger, IntervalTrigger) else {}
        scheduler.add_job(
            _logged(f"crawl {source.name}", _crawl_in_subprocess(source)),
            trigger,
            executor=CRAWLS,
            **first,
            id=f"crawl:{source.name}",
            name=f"crawl {source.name}",
            **JOB_DEFAULTS,
        )


def _trigger(source: AnySource) -> IntervalTrigger | CronTrigger:
    schedule = source.schedule
    assert schedule is not None
    if schedule.interval_minutes or schedule.interval_seconds:
        seconds = schedule.interval_seconds or 60 * (schedule.interval_minutes or 0)
        return IntervalTrigger(seconds=seconds, timezone=ZONE_NAME)
    return CronTrigger.from_crontab(schedule.cron or "", timezone=ZONE_NAME)


def not_within_seconds(source: AnySource) -> float:
    """How recent another worker's run of `source` may be for this worker to skip it: half
    the source's interval, or half the gap between two of its cron times."""
    trigger = _trigger(source)
    if isinstance(trigger, IntervalTrigger):
        return float(trigger.interval.total_seconds()) * NOT_WITHIN_SHARE
    first = trigger.get_next_fire_time(None, datetime(2024, 1, 1, tzinfo=SHANGHAI))
    if first is None:
        return 0.0
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    return float((second - first).total_seconds()) * NOT_WITHIN_SHARE if second else 0.0


def _replay_spool(worker: Worker, store: PostStore) -> Callable[[], str]:
    """This worker's spooled posts into the store, each source under its lease."""
    recorder = wiring.recorder(worker.settings)

    def run() -> str:
        summaries = replay_spools(
            worker.settings,
            recorder=recorder,
            store=store,
            analyzer=lambda: wiring.analyzer(worker.settings, store),
        )
        return "; ".join(s.line() for s in summaries) or "nothing spooled"

    return run


def _clock_warnings(worker: Worker) -> Callable[[], str]:
    """Raise the deadline warnings due, then deliver what the outbox holds (warnings raised
    now, and any that a channel has not accepted yet)."""

    def run() -> str:
        raised = check_clocks(worker.factory, worker.settings)
        delivered = deliver_due(factory=worker.factory, settings=worker.settings.alerts)
        return (
            f"{raised} warnings raised; {delivered.sent} notifications sent,"
            f" {delivered.failed} waiting for a retry"
        )

    return run


def _daily_brief(worker: Worker, store: PostStore) -> Callable[[], str]:
    """The previous day's brief as DOCX and XLSX in the reports directory, written by the one
    worker that claims the day (`daily-brief:<day>` in the leases)."""

    def run() -> str:
        settings = worker.settings
        day = daily.default_day(settings)
        claim = f"daily-brief:{day.isoformat()}"
        with leases.once(worker.factory, claim, leases.this_process(), BRIEF_LEASE_SECONDS) as mine:
            if not mine:
                return f"the brief of {day} is written or being written by another worker"
            with unit_of_work(worker.factory) as session:
                brief = daily.build(session=session, store=store, settings=settings, day=day)
            paths = documents.write(daily_document.report(brief), documents.output_dir(settings))
        return "wrote " + ", ".join(str(path) for path in paths)

    return run


CRAWL_TIMEOUT_SECONDS = 3 * 3600


def _crawl_in_subprocess(source: AnySource) -> Callable[[], str]:
    """A crawl in a process of its own: Twisted's reactor cannot start twice in one process.

    The crawl takes the source's lease and records its own run (counts, errors, duration) in
    the tracker database; it skips the source when another worker holds it or just ran it.
    """
    name, not_within = source.name, not_within_seconds(source)

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "yuqing", "crawl", name, "--not-within", f"{not_within:g}"],
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
