"""The clustering job: one pass assigns new posts to topics, scores the topics, raises alerts.

One consumer at a time. A pass runs the pipeline top to bottom:

1. assign (`assign`): page by page from the cursor, each page under the lease and in one
   transaction, so a crash resumes where it stopped and cluster ids stay stable;
2. consolidate and expire (`clusters`): merge clusters that converged, retire quiet ones;
3. score (`scoring`): at the end of each past hour that took posts (late posts are scored at
   the hour they belong to, so `flagged_at` tells when a topic turned hot), then now;
4. raise (`raising`): an alert for each hot cluster, into the outbox;
5. deliver (`api.alerts`): the outbox's due notifications go out.

Analysts' changes (dismiss, merge, split) and the job exclude each other through the lease
(`state.lease`), and every analyst change bumps a generation number that makes the job reload
its clusters, so neither overwrites the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from analysis.clustering import Clusterer
from analysis.hotconfig import HotConfig
from analysis.text import Segmenter
from api.alerts import service as outbox
from api.database import unit_of_work
from api.hot_issues import assign, clusters, raising, scoring, state
from api.hot_issues.config import hot_config, official_sources
from core.settings import Settings
from store.base import PostStore

# Flags older than this, found while scoring late posts, raise no alert: the news is old.
STALE_ALERT = timedelta(hours=1)


@dataclass
class PassResult:
    scanned: int = 0
    assigned: int = 0
    opened: int = 0
    merged: int = 0
    unassigned: int = 0
    expired: int = 0
    scored: int = 0
    flagged: int = 0
    alerts_raised: int = 0
    deliveries_ok: int = 0
    deliveries_failed: int = 0
    seconds: float = 0.0
    # Where the pass's time went: assign, merge, score_past_hours, score_now, deliver.
    stage_seconds: dict[str, float] = field(default_factory=dict)
    flagged_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class _Stopwatch:
    """Adds the time since it was last called to the named stage."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = round(self.into.get(name, 0.0) + now - self.last, 3)
        self.last = now


class Job:
    """The clustering job for one product: its settings, store and tracker database."""

    def __init__(
        self,
        settings: Settings,
        store: PostStore,
        factory: sessionmaker[Session],
        segmenter: Segmenter,
    ) -> None:
        self.settings = settings
        self.store = store
        self.factory = factory
        self.segmenter = segmenter
        self._clusterer: Clusterer | None = None
        self._generation = -1

    def run(
        self,
        *,
        now: datetime | None = None,
        max_posts: int | None = None,
        leading: Callable[[], bool] | None = None,
    ) -> PassResult:
        """One pass; `now` is the wall clock unless given (replays pass the replayed time).

        With `leading`, the pass stops between pages once it says False (this worker lost
        the lead; the new leader carries on from the cursor).
        """
        started = time.perf_counter()
        config = hot_config(self.settings)
        result = PassResult()
        arrivals = assign.Arrivals()
        stage = _Stopwatch(result.stage_seconds)
        while max_posts is None or result.scanned < max_posts:
            if leading is not None and not leading():
                result.seconds = round(time.perf_counter() - started, 3)
                return result
            with state.lease(self.factory):
                if not self._assign_page(config, arrivals, result):
                    break
        stage("assign")
        clock = now or datetime.now(UTC)
        with state.lease(self.factory), unit_of_work(self.factory) as session:
            clusterer = self._clusterer
            if clusterer is not None:
                result.merged += clusters.consolidate(
                    session, self.store, clusterer, config, arrivals.touched, arrivals.by_hour
                )
            result.expired = clusters.expire(session, clusterer, config, clock)
            stage("merge")
            for hour in sorted(t for t in arrivals.by_hour if t < clock):
                fresh = hour >= clock - STALE_ALERT
                self._score(session, config, hour, arrivals.by_hour[hour], result, fresh, False)
            stage("score_past_hours")
            self._score(session, config, clock, set(arrivals.touched), result, True, True)
        stage("score_now")
        delivered = outbox.deliver_due(
            factory=self.factory, settings=self.settings.alerts, now=clock
        )
        stage("deliver")
        result.deliveries_ok, result.deliveries_failed = (
            delivered.deliveries_ok,
            delivered.deliveries_failed,
        )
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def _assign_page(
        self, config: HotConfig, arrivals: assign.Arrivals, result: PassResult
    ) -> bool:
        """Cluster the next page of posts; False when there was none."""
        with unit_of_work(self.factory) as session:
            generation = state.generation(session)
            if self._clusterer is None or generation != self._generation:
                self._clusterer = clusters.load_clusterer(session, config)
                self._generation = generation
            page = assign.assign_page(
                session,
                self.store,
                self._clusterer,
                config=config,
                segmenter=self.segmenter,
                official=official_sources(self.settings),
                arrivals=arrivals,
            )
        result.scanned += page.scanned
        result.assigned += page.assigned
        result.opened += page.opened
        result.unassigned += page.unassigned
        return page.scanned > 0

    def _score(
        self,
        session: Session,
        config: HotConfig,
        at: datetime,
        ids: set[int],
        result: PassResult,
        alerts: bool,
        final: bool,
    ) -> None:
        if not alerts and not final:  # an hour long past: its peaks and first flags only
            flagged = scoring.score_history(
                session,
                config=config,
                threshold=self.settings.alerts.threshold,
                at=at,
                ids=ids,
                segmenter=self.segmenter,
            )
            result.scored += len(ids)
            result.flagged += len(flagged)
            result.flagged_ids += flagged
            return
        scored = scoring.score_clusters(
            session,
            config=config,
            threshold=self.settings.alerts.threshold,
            now=at,
            touched=ids,
            final=final,
            segmenter=self.segmenter,
        )
        result.scored += scored.scored
        result.flagged += len(scored.flagged)
        result.flagged_ids += scored.flagged
        if alerts:
            for row in scored.hot:
                result.alerts_raised += raising.raise_alert(session, row, self.settings.alerts, at)
