"""Crawl runs and source marks in the tracker database: the crawler's `RunRecorder`.

A run holds its source's lease (`crawl:<source>` in `api.leases`) from `start` to `finish`,
renewed on a heartbeat, so only one worker of any number sharing the database crawls a
source at a time, and a dead worker's hold lapses after `lease_seconds`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.database import make_engine, make_session_factory, unit_of_work, utcnow
from api.hot_issues import nudge
from api.leases import service as leases
from api.migrating import migrate
from api.sources import service
from api.sources.models import CrawlRun
from crawler.runs import RunStatus, SourceBusy, SourceMarks

# A source's lease lasts this long without renewal; the heartbeat renews it every third.
LEASE_SECONDS = 60.0


def lease_name(source: str) -> str:
    return f"crawl:{source}"


class DatabaseRunRecorder:
    """Records runs in the tracker database at `url` (migrated on first use)."""

    def __init__(self, url: str, *, worker: str = "", lease_seconds: float = LEASE_SECONDS) -> None:
        self.url = url
        self.worker = leases.name_this_process(worker)
        self.lease_seconds = lease_seconds
        self._engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None
        self._beats: dict[str, leases.Heartbeat] = {}

    @property
    def factory(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._engine = make_engine(self.url)
            migrate(self._engine)
            self._factory = make_session_factory(self._engine)
        return self._factory

    def start(self, source: str, *, not_within: float | None = None) -> tuple[int, SourceMarks]:
        name = lease_name(source)
        taken = leases.try_acquire(self.factory, name, self.worker, self.lease_seconds)
        if taken is None:
            holder = leases.holder_of(self.factory, name) or "another worker"
            raise SourceBusy(f"source {source} is being crawled by {holder}")
        try:
            with unit_of_work(self.factory) as session:
                _close_lost_runs(session, source, taken.previous)
                recent = _recent_start(session, source, not_within)
                if recent is not None:
                    raise SourceBusy(
                        f"source {source} was crawled {recent:.0f} s ago,"
                        f" within its {not_within:.0f} s"
                    )
                state = service.get_state(session=session, source=source)
                run = service.start_run(session=session, source=source)
                run.worker = self.worker
                session.flush()
                run_id = run.id
                marks = SourceMarks(
                    state.last_seen_at, state.last_seen_id, dict(state.pending or {})
                )
        except BaseException:
            leases.release(self.factory, name, self.worker)
            raise
        self._beats[source] = leases.Heartbeat(self.factory, name, self.worker, self.lease_seconds)
        return run_id, marks

    def finish(
        self, run_id: int, source: str, outcome: dict[str, Any], marks: SourceMarks | None
    ) -> None:
        try:
            with unit_of_work(self.factory) as session:
                service.finish_run(session=session, run_id=run_id, outcome=outcome)
                if marks is not None:
                    service.save_state(
                        session=session,
                        source=source,
                        last_seen_id=marks.last_seen_id,
                        last_seen_at=marks.last_seen_at,
                        pending=marks.pending,
                    )
        finally:
            beat = self._beats.pop(source, None)
            if beat is not None:
                beat.stop()
            leases.release(self.factory, lease_name(source), self.worker)

    def written(self, source: str, count: int) -> None:
        nudge.nudge(self.factory, source, count)

    def close(self) -> None:
        for beat in self._beats.values():
            beat.stop()
        if self._engine is not None:
            self._engine.dispose()


def _close_lost_runs(session: Session, source: str, previous: str | None) -> None:
    """Runs of `source` still marked running belong to a worker whose lease lapsed (we hold the
    lease now): they ended when it died."""
    lost = RunStatus.FAILED.value
    note = f"worker {previous} stopped renewing its lease" if previous else "the worker stopped"
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.source == source, CrawlRun.status == RunStatus.RUNNING.value)
        .values(status=lost, finished_at=utcnow(), message=f"lost: {note}")
    )


def _recent_start(session: Session, source: str, within: float | None) -> float | None:
    """Seconds since the newest run of `source` that did not fail began, if within `within`."""
    if not within:
        return None
    started = session.scalar(
        select(CrawlRun.started_at)
        .where(CrawlRun.source == source, CrawlRun.status != RunStatus.FAILED.value)
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    if started is None:
        return None
    age = (utcnow() - started) / timedelta(seconds=1)
    return age if age < within else None
