"""The clustering job: one pass assigns new posts to topics, scores the topics, raises alerts.

One consumer. A pass reads the posts stored since its cursor (`analysis_state.scan_cursor`),
page by page. For each page it assigns every post to an active cluster or opens one
(`analysis.clustering`), records the memberships, writes `cluster_id` back to the post store,
and moves the cursor, all before the next page, so a crash resumes where it stopped and cluster
ids stay stable across runs and restarts. Then it expires quiet clusters, rescores the clusters
that changed (and the hot ones as time passes, `analysis.hotness`), raises an alert for each
cluster that crosses the threshold, and delivers pending alerts (`alerts.delivery`).

Analysts' changes (dismiss, merge, split) and the job exclude each other through a lease row
(`lease`), and every analyst change bumps a generation number that makes the job reload its
clusters, so neither overwrites the other.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from analysis import delivery
from analysis.clustering import Cluster, Clusterer, vectorize
from analysis.hotness import ClusterStats, HotConfig, score
from analysis.text import segment
from api.alerts.models import Alert, AlertDelivery, AnalysisState, HotIssue, HotIssuePost
from api.database import unit_of_work
from core.configfile import load_when_changed
from core.errors import ConflictError
from core.settings import Settings
from core.timezone import SHANGHAI
from store.base import PostStore
from store.models import Post

log = logging.getLogger(__name__)

CURSOR_KEY = "scan_cursor"
LEASE_KEY = "lease"
GENERATION_KEY = "generation"
PAGE = 500
LEASE_SECONDS = 120
RESCORE_EVERY = timedelta(minutes=5)
STALE_ALERT = timedelta(hours=1)
TITLE_CANDIDATES = 20


@dataclass
class PassResult:
    scanned: int = 0
    assigned: int = 0
    opened: int = 0
    merged: int = 0
    skipped: int = 0
    expired: int = 0
    scored: int = 0
    flagged: int = 0
    alerts_raised: int = 0
    deliveries_ok: int = 0
    deliveries_failed: int = 0
    seconds: float = 0.0
    flagged_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# -- state and lease -----------------------------------------------------------------------------


def _state(session: Session, key: str) -> str | None:
    row = session.get(AnalysisState, key)
    return row.value if row else None


def _set_state(session: Session, key: str, value: str | None) -> None:
    row = session.get(AnalysisState, key)
    if row is None:
        session.add(AnalysisState(key=key, value=value))
    else:
        row.value = value


def generation(session: Session) -> int:
    return int(_state(session, GENERATION_KEY) or 0)


def bump_generation(session: Session) -> None:
    _set_state(session, GENERATION_KEY, str(generation(session) + 1))


@contextmanager
def lease(factory: sessionmaker[Session], *, wait_seconds: float = 15.0) -> Iterator[None]:
    """Hold the clustering lease (job pass page or analyst change) for the block.

    The lease is one row; taking it is one conditional UPDATE, atomic on SQLite and PostgreSQL.
    A holder that died leaves a lease that lapses after LEASE_SECONDS.
    """
    holder = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    with unit_of_work(factory) as session:
        if session.get(AnalysisState, LEASE_KEY) is None:
            session.add(AnalysisState(key=LEASE_KEY, value=None))
    while True:
        now = datetime.now(UTC)
        with unit_of_work(factory) as session:
            taken = session.execute(
                update(AnalysisState)
                .where(AnalysisState.key == LEASE_KEY)
                .where(
                    (AnalysisState.value.is_(None))
                    | (AnalysisState.updated_at < now - timedelta(seconds=LEASE_SECONDS))
                )
                .values(value=holder, updated_at=now)
            ).rowcount
        if taken:
            break
        if time.monotonic() > deadline:
            raise ConflictError("the clustering job is busy with these hot issues; try again")
        time.sleep(0.05)
    try:
        yield
    finally:
        with unit_of_work(factory) as session:
            session.execute(
                update(AnalysisState)
                .where(AnalysisState.key == LEASE_KEY, AnalysisState.value == holder)
                .values(value=None)
            )


# -- configuration ------------------------------------------------------------------------------


def hot_config(settings: Settings) -> HotConfig:
    path = settings.analysis.hot_issues_file
    return load_when_changed(path, HotConfig.from_file)


def _official(path: Path) -> frozenset[str]:
    from crawler.sources import load_sources

    return frozenset(name for name, s in load_sources(path).items() if s.official)


def official_sources(settings: Settings) -> frozenset[str]:
    return load_when_changed(settings.crawler.sources_file, _official, missing=frozenset())


# -- clusters in and out of the database --------------------------------------------------------


def cluster_of(row: HotIssue) -> Cluster:
    return Cluster(
        id=row.id,
        centroid=dict(row.centroid),
        as_of=row.as_of,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        size=row.size,
    )


def load_clusterer(session: Session, config: HotConfig) -> Clusterer:
    rows = session.scalars(
        select(HotIssue).where(HotIssue.active.is_(True), HotIssue.status != "merged")
    )
    return Clusterer((cluster_of(r) for r in rows), config.clustering.params())


def store_cluster(row: HotIssue, cluster: Cluster) -> None:
    """Copy a cluster's centroid, times, size and label onto its row."""
    row.centroid = {w: round(v, 6) for w, v in cluster.centroid.items()}
    row.as_of, row.first_seen, row.last_seen = cluster.as_of, cluster.first_seen, cluster.last_seen
    row.size = cluster.size
    row.keywords = cluster.top_terms(6)


def _save(session: Session, cluster: Cluster) -> None:
    row = session.get(HotIssue, cluster.id)
    if row is None:
        return
    store_cluster(row, cluster)
    cluster.dirty = False


def write_cluster_ids(store: PostStore, post_ids: list[str], hot_id: int) -> None:
    """Tell the post store which cluster these posts now belong to."""
    for i in range(0, len(post_ids), PAGE):
        store.update_analysis({p: {"cluster_id": str(hot_id)} for p in post_ids[i : i + PAGE]})


def post_vector(post: Post, ignore: frozenset[str] = frozenset()) -> dict[str, float]:
    tokens = post.tokens if post.tokens is not None else segment(f"{post.title} {post.text}")
    return vectorize(tokens, boost=post.keywords or (), ignore=ignore)


def post_title(post: Post) -> str:
    return (post.title or post.text.replace("\n", " "))[:120]


def _engagement(post: Post) -> int:
    e = post.engagement
    return e.reposts + e.comments + e.likes


# -- the pass -----------------------------------------------------------------------------------


class Job:
    """The clustering job for one product: its settings, store and tracker database."""

    def __init__(self, settings: Settings, store: PostStore, factory: sessionmaker[Session]):
        self.settings = settings
        self.store = store
        self.factory = factory
        self._clusterer: Clusterer | None = None
        self._generation = -1

    def run(self, *, now: datetime | None = None, max_posts: int | None = None) -> PassResult:
        """One pass; `now` is the wall clock unless given (replays pass the replayed time).

        Posts that arrive late (a first crawl, a backlog after an outage) are scored as they
        would have been: at the end of each past hour that received posts, the clusters those
        posts joined are scored at that hour, so `flagged_at` tells when a topic turned hot.
        Such past flags raise no alert once older than STALE_ALERT; the current score does.
        """
        started = time.perf_counter()
        config = hot_config(self.settings)
        official = official_sources(self.settings)
        result = PassResult()
        touched: dict[int, datetime] = {}  # cluster -> latest published_at among new posts
        arrivals: dict[datetime, set[int]] = defaultdict(set)  # hour end -> clusters
        while max_posts is None or result.scanned < max_posts:
            with lease(self.factory):
                n = self._page(config, official, result, touched, arrivals)
            if n == 0:
                break
        clock = now or datetime.now(UTC)
        past = sorted(t for t in arrivals if t < clock)
        with lease(self.factory), unit_of_work(self.factory) as session:
            self._consolidate(session, config, touched, arrivals, result)
            self._expire(session, config, clock, result)
            for at in past:
                alerts = at >= clock - STALE_ALERT
                self._score(session, config, at, arrivals[at], result, alerts=alerts)
            self._score(session, config, clock, set(touched), result, alerts=True, final=True)
        self.deliver(clock, result)
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def _page(
        self,
        config: HotConfig,
        official: frozenset[str],
        result: PassResult,
        touched: dict[int, datetime],
        arrivals: dict[datetime, set[int]],
    ) -> int:
        with unit_of_work(self.factory) as session:
            gen = generation(session)
            if self._clusterer is None or gen != self._generation:
                self._clusterer = load_clusterer(session, config)
                self._generation = gen
            clusterer = self._clusterer
            page = self.store.scan(after=_state(session, CURSOR_KEY), limit=PAGE)
            if not page.posts:
                return 0
            ids = [p.id for p in page.posts]
            members = {
                m.post_id: m
                for m in session.scalars(select(HotIssuePost).where(HotIssuePost.post_id.in_(ids)))
            }
            roots = {p.near_dup_of for p in page.posts if p.near_dup_of}
            root_cluster = (
                dict(
                    session.execute(
                        select(HotIssuePost.post_id, HotIssuePost.hot_issue_id).where(
                            HotIssuePost.post_id.in_(roots)
                        )
                    ).all()
                )
                if roots
                else {}
            )
            # New clusters get temporary negative ids until the page is saved.
            temp_ids = itertools.count(-1, -1)
            titles: dict[int, str] = {}

            def new_id(post: Post) -> int:
                cid = next(temp_ids)
                titles[cid] = post_title(post)
                return cid

            placed: list[tuple[Post, Cluster]] = []
            joined: dict[str, Cluster] = {}
            for post in page.posts:
                result.scanned += 1
                member = members.get(post.id)
                if member is not None:  # a changed post stays where it is; refresh what we keep
                    member.title, member.sentiment = post_title(post)[:300], post.sentiment
                    member.engagement = _engagement(post)
                    continue
                vec = post_vector(post, config.clustering.common_words)
                if not vec:
                    result.skipped += 1
                    continue
                join = None
                if post.near_dup_of:
                    root = joined.get(post.near_dup_of)
                    join = root.id if root is not None else root_cluster.get(post.near_dup_of)
                cluster, opened = clusterer.assign(
                    vec, post.published_at, lambda p=post: new_id(p), join=join
                )
                result.assigned += 1
                result.opened += opened
                joined[post.id] = cluster
                placed.append((post, cluster))
            self._save_page(session, clusterer, titles)
            updates: dict[str, dict[str, str]] = {}
            for post, cluster in placed:
                at = post.published_at
                touched[cluster.id] = max(at, touched.get(cluster.id, at))
                arrivals[_hour_end(at)].add(cluster.id)
                text = f"{post.title} {post.text}"
                session.add(
                    HotIssuePost(
                        post_id=post.id,
                        hot_issue_id=cluster.id,
                        published_at=at,
                        source=post.source,
                        kind=post.kind.value,
                        title=post_title(post)[:300],
                        sentiment=post.sentiment,
                        engagement=_engagement(post),
                        official=post.source in official
                        or (post.author or "") in config.official_authors,
                        author=(post.author or "")[:200] or None,
                        sensitive=config.sensitive_groups(text),
                        copy=post.near_dup_of is not None,
                        pinned=False,
                    )
                )
                updates[post.id] = {"cluster_id": str(cluster.id)}
            if updates:
                self.store.update_analysis(updates)
            _set_state(session, CURSOR_KEY, page.cursor)
            return len(page.posts)

    def _save_page(self, session: Session, clusterer: Clusterer, titles: dict[int, str]) -> None:
        """Insert the page's new clusters (giving them their ids) and update the changed ones."""
        fresh = [c for c in clusterer.clusters.values() if c.id < 0]
        rows = []
        for c in fresh:
            row = HotIssue(
                title=titles.get(c.id, ""),
                keywords=[],
                centroid={},
                as_of=c.as_of,
                first_seen=c.first_seen,
                last_seen=c.last_seen,
                size=0,
                signals=[],
                explanation=[],
                stats={},
            )
            rows.append(row)
        session.add_all(rows)
        session.flush()
        for c, row in zip(fresh, rows, strict=True):
            clusterer.rename(c.id, row.id)
        dirty = [c for c in clusterer.clusters.values() if c.dirty]
        with session.no_autoflush:
            for chunk in _chunks([c.id for c in dirty], 500):
                list(session.scalars(select(HotIssue).where(HotIssue.id.in_(chunk))))
            for c in dirty:
                _save(session, c)

    def _consolidate(
        self,
        session: Session,
        config: HotConfig,
        touched: dict[int, datetime],
        arrivals: dict[datetime, set[int]],
        result: PassResult,
    ) -> None:
        """Merge each changed cluster with any live cluster whose centroid is as good as the
        same topic (`merge_threshold`): single-pass clustering splits a topic whose first
        posts used different words. The younger cluster goes into the older one; clusters an
        analyst changed are left alone."""
        clusterer = self._clusterer
        if clusterer is None or not touched:
            return
        threshold = config.clustering.merge_threshold
        curated = set(
            session.scalars(
                select(HotIssue.id).where((HotIssue.curated.is_(True)) | (HotIssue.status != "new"))
            )
        )
        for cid in sorted(touched):
            cluster = clusterer.clusters.get(cid)
            if cluster is None or cluster.size < 2 or cid in curated:
                continue
            for other, _sim in clusterer.near(cluster, threshold):
                if other.size < 2 or other.id in curated or other.id not in clusterer.clusters:
                    continue
                keep, gone = sorted((cluster, other), key=lambda c: (c.first_seen, c.id))
                self._merge(session, clusterer, keep, gone)
                result.merged += 1
                if gone.id in touched:
                    touched[keep.id] = max(
                        touched.pop(gone.id), touched.get(keep.id, gone.last_seen)
                    )
                else:
                    touched.setdefault(keep.id, keep.last_seen)
                for ids in arrivals.values():
                    if gone.id in ids:
                        ids.discard(gone.id)
                        ids.add(keep.id)
                if gone is cluster:
                    break
                cluster = keep

    def _merge(self, session: Session, clusterer: Clusterer, keep: Cluster, gone: Cluster) -> None:
        clusterer.merge(keep, gone)
        _save(session, keep)
        moved = list(
            session.scalars(
                select(HotIssuePost.post_id).where(HotIssuePost.hot_issue_id == gone.id)
            )
        )
        session.execute(
            update(HotIssuePost)
            .where(HotIssuePost.hot_issue_id == gone.id)
            .values(hot_issue_id=keep.id)
        )
        row = session.get(HotIssue, gone.id)
        if row is not None:
            row.status, row.merged_into, row.active = "merged", keep.id, False
        write_cluster_ids(self.store, moved, keep.id)

    def _expire(
        self, session: Session, config: HotConfig, now: datetime, result: PassResult
    ) -> None:
        horizon = now - timedelta(hours=config.clustering.expire_hours)
        gone = session.execute(
            update(HotIssue)
            .where(HotIssue.active.is_(True), HotIssue.last_seen < horizon)
            .values(active=False)
        ).rowcount
        result.expired = gone or 0
        if self._clusterer is not None and gone:
            self._clusterer.expire(now)

    # -- scoring --------------------------------------------------------------------------------

    def _score(
        self,
        session: Session,
        config: HotConfig,
        now: datetime,
        touched: set[int],
        result: PassResult,
        *,
        alerts: bool,
        final: bool = False,
    ) -> None:
        """Score clusters at time `now`: `touched` ones, and on the final scoring also the
        active ones whose score may have changed with time."""
        again: list[int] = []
        if final:
            again = list(
                session.scalars(
                    select(HotIssue.id).where(
                        HotIssue.active.is_(True),
                        HotIssue.status != "merged",
                        (HotIssue.score > 0) | HotIssue.scored_at.is_(None),
                        (HotIssue.scored_at.is_(None)) | (HotIssue.scored_at < now - RESCORE_EVERY),
                    )
                )
            )
        ids = sorted(touched | set(again))
        if not ids:
            return
        stats = self._stats(session, config, now, ids)
        threshold = self.settings.alerts.threshold
        for chunk in _chunks(ids, 500):
            rows = session.scalars(select(HotIssue).where(HotIssue.id.in_(chunk))).all()
            for row in rows:
                s = stats[row.id]
                hot = score(s, config)
                row.score, row.urgent = hot.score, hot.urgent
                row.signals = [sig.as_dict() for sig in hot.signals]
                row.explanation = hot.explanation
                row.stats = {
                    "last_hour": s.n_1h,
                    "last_24h": s.n_24h,
                    "kinds_24h": s.kinds_24h,
                    "negative_share": round(s.negative_24h / s.with_sentiment_24h, 3)
                    if s.with_sentiment_24h
                    else None,
                    "engagement_24h": s.engagement_24h,
                    "official_at": s.official_at.isoformat() if s.official_at else None,
                }
                row.scored_at = max(now, row.scored_at) if row.scored_at else now
                result.scored += 1
                if final and row.id in touched and row.size > 1:
                    self._retitle(session, row, config.clustering.common_words)
                if hot.score >= threshold and row.status not in ("dismissed", "merged"):
                    if row.flagged_at is None:
                        row.flagged_at = now
                        row.flag_score, row.flag_explanation = hot.score, hot.explanation
                        result.flagged += 1
                        result.flagged_ids.append(row.id)
                    if alerts and self._raise_alert(session, row, now):
                        result.alerts_raised += 1

    def _stats(
        self, session: Session, config: HotConfig, now: datetime, ids: list[int]
    ) -> dict[int, ClusterStats]:
        burst = config.score.burst
        negative_below = config.score.negative.negative_below
        hour, day = now - timedelta(hours=1), now - timedelta(hours=24)
        base_from = hour - timedelta(days=burst.baseline_days)
        base_hours = burst.baseline_days * 24.0
        out = {
            i: ClusterStats(
                now=now,
                n_1h=0,
                n_24h=0,
                baseline_posts=0,
                baseline_hours=base_hours,
                kinds_24h={},
                negative_24h=0,
                with_sentiment_24h=0,
                engagement_24h=0,
                sensitive_24h={},
            )
            for i in ids
        }
        sources_1h: dict[int, set[str]] = defaultdict(set)
        for chunk in _chunks(ids, 500):
            recent = session.execute(
                select(
                    HotIssuePost.hot_issue_id,
                    HotIssuePost.published_at,
                    HotIssuePost.kind,
                    HotIssuePost.source,
                    HotIssuePost.sentiment,
                    HotIssuePost.engagement,
                    HotIssuePost.sensitive,
                    HotIssuePost.copy,
                ).where(
                    HotIssuePost.hot_issue_id.in_(chunk),
                    HotIssuePost.published_at >= day,
                    HotIssuePost.published_at <= now,
                )
            )
            sens: dict[int, Counter[str]] = defaultdict(Counter)
            kinds: dict[int, Counter[str]] = defaultdict(Counter)
            for cid, at, kind, source, senti, eng, groups, copy in recent:
                s = out[cid]
                s.n_24h += 1
                kinds[cid][kind] += 1
                if at >= hour:
                    s.n_1h += 1
                    sources_1h[cid].add(source)
                if senti is not None:
                    s.with_sentiment_24h += 1
                    s.negative_24h += senti < negative_below
                s.engagement_24h += eng
                sens[cid].update(groups or ())
                s.copies_24h += bool(copy)
            for cid in chunk:
                out[cid].kinds_24h = dict(kinds[cid])
                out[cid].sensitive_24h = dict(sens[cid])
            base = session.execute(
                select(HotIssuePost.hot_issue_id, func.count())
                .where(
                    HotIssuePost.hot_issue_id.in_(chunk),
                    HotIssuePost.published_at >= base_from,
                    HotIssuePost.published_at < hour,
                )
                .group_by(HotIssuePost.hot_issue_id)
            )
            for cid, n in base:
                out[cid].baseline_posts = n
            official = session.execute(
                select(
                    HotIssuePost.hot_issue_id,
                    HotIssuePost.published_at,
                    HotIssuePost.author,
                    HotIssuePost.source,
                )
                .where(
                    HotIssuePost.hot_issue_id.in_(chunk),
                    HotIssuePost.official.is_(True),
                    HotIssuePost.published_at <= now,
                )
                .order_by(HotIssuePost.published_at)
            )
            for cid, at, author, source in official:
                if out[cid].official_at is None:
                    out[cid].official_at, out[cid].official_by = at, author or source
        # the sources' own hourly baseline
        per_source_1h = dict(
            session.execute(
                select(HotIssuePost.source, func.count())
                .where(HotIssuePost.published_at >= hour, HotIssuePost.published_at <= now)
                .group_by(HotIssuePost.source)
            ).all()
        )
        per_source_base = dict(
            session.execute(
                select(HotIssuePost.source, func.count())
                .where(HotIssuePost.published_at >= base_from, HotIssuePost.published_at < hour)
                .group_by(HotIssuePost.source)
            ).all()
        )
        for cid, sources in sources_1h.items():
            out[cid].source_surge = {
                src: (per_source_1h.get(src, 0), per_source_base.get(src, 0) / base_hours)
                for src in sources
            }
        return out

    def _retitle(self, session: Session, row: HotIssue, ignore: frozenset[str]) -> None:
        """The title of the member closest to the centroid: the cluster's representative."""
        titles = session.scalars(
            select(HotIssuePost.title)
            .where(HotIssuePost.hot_issue_id == row.id)
            .order_by(HotIssuePost.published_at.desc())
            .limit(TITLE_CANDIDATES)
        ).all()
        cluster = Cluster(row.id, dict(row.centroid), row.as_of, row.first_seen, row.last_seen)
        best = max(
            dict.fromkeys(titles),
            key=lambda t: (cluster.similarity(vectorize(segment(t), ignore=ignore)), -len(t)),
            default=None,
        )
        if best:
            row.title = best

    # -- alerts ---------------------------------------------------------------------------------

    def _raise_alert(self, session: Session, row: HotIssue, now: datetime) -> bool:
        """A new alert for a hot cluster unless one was raised within the suppression window."""
        cfg = self.settings.alerts
        level = "urgent" if row.urgent or row.score >= cfg.urgent_score else "normal"
        last = session.scalars(
            select(Alert).where(Alert.hot_issue_id == row.id).order_by(Alert.id.desc()).limit(1)
        ).first()
        if last is not None and last.created_at > now - timedelta(minutes=cfg.suppression_minutes):
            escalated = level == "urgent" and last.level != "urgent"
            if not escalated and row.score < last.score + cfg.rearm_delta:
                return False
        due, status = now, "pending"
        if level != "urgent" and cfg.quiet_hours:
            end = quiet_end(now, cfg.quiet_hours)
            if end is not None:
                due, status = end, "held"
        session.add(
            Alert(
                hot_issue_id=row.id,
                level=level,
                score=row.score,
                title=row.title,
                explanation=list(row.explanation),
                created_at=now,
                status=status,
                due_at=due,
                passes=0,
            )
        )
        return True

    def deliver(self, now: datetime, result: PassResult | None = None) -> None:
        """Send every alert that is due to the channels that have not had it yet."""
        cfg = self.settings.alerts
        with unit_of_work(self.factory) as session:
            due = session.scalars(
                select(Alert)
                .where(
                    Alert.status.in_(("pending", "held", "failed")),
                    Alert.due_at <= now,
                    Alert.passes < cfg.max_passes,
                )
                .order_by(Alert.id)
            ).all()
            work = []
            for alert in due:
                done = set(
                    session.scalars(
                        select(AlertDelivery.channel).where(
                            AlertDelivery.alert_id == alert.id, AlertDelivery.ok.is_(True)
                        )
                    )
                )
                hot = session.get(HotIssue, alert.hot_issue_id)
                work.append((alert.id, _message(alert, hot), done))
        for alert_id, message, done in work:
            channels = [c for c in cfg.channels if c.name not in done]
            results = delivery.deliver_all(channels, message, cfg.attempts) if channels else []
            with unit_of_work(self.factory) as session:
                alert = session.get(Alert, alert_id)
                if alert is None:
                    continue
                alert.passes += 1
                for r in results:
                    session.add(
                        AlertDelivery(
                            alert_id=alert_id,
                            channel=r.channel,
                            ok=r.ok,
                            attempts=r.attempts,
                            error=r.error,
                            finished_at=r.finished_at,
                        )
                    )
                    if result is not None:
                        result.deliveries_ok += r.ok
                        result.deliveries_failed += not r.ok
                failed = [r for r in results if not r.ok]
                if not cfg.channels:
                    alert.status = "logged"
                    log.warning("hot issue alert (no channel configured): %s", message.title)
                elif failed:
                    alert.status = "failed"
                    alert.last_error = "; ".join(f"{r.channel}: {r.error}" for r in failed)
                    log.error("alert %s not delivered: %s", alert_id, alert.last_error)
                else:
                    alert.status = "sent"
                    alert.delivered_at = datetime.now(UTC)
                    alert.last_error = None


def _message(alert: Alert, hot: HotIssue | None) -> delivery.Alert:
    sources: Counter[str] = Counter()
    if hot is not None:
        for kind, n in (hot.stats or {}).get("kinds_24h", {}).items():
            sources[kind] += n
    return delivery.Alert(
        cluster_id=alert.hot_issue_id,
        title=alert.title,
        level=alert.level,
        score=alert.score,
        explanation=list(alert.explanation),
        keywords=list(hot.keywords) if hot else [],
        members=hot.size if hot else 0,
        sources=dict(sources),
        first_seen=hot.first_seen if hot else alert.created_at,
        flagged_at=(hot.flagged_at if hot and hot.flagged_at else alert.created_at),
        url=f"/api/hot-issues/{alert.hot_issue_id}",
    )


def quiet_end(now: datetime, hours: tuple[str, str]) -> datetime | None:
    """The end of the quiet hours `now` falls in (Beijing time), or None outside them."""
    local = now.astimezone(SHANGHAI)
    start_h, start_m = (int(x) for x in hours[0].split(":"))
    end_h, end_m = (int(x) for x in hours[1].split(":"))
    start = local.replace(hour=start_h, minute=start_m, second=0, microsecond=0)
    end = local.replace(hour=end_h, minute=end_m, second=0, microsecond=0)
    if start <= end:  # e.g. 12:00-14:00
        return end.astimezone(UTC) if start <= local < end else None
    # across midnight, e.g. 22:00-07:00
    if local >= start:
        return (end + timedelta(days=1)).astimezone(UTC)
    if local < end:
        return end.astimezone(UTC)
    return None


def _hour_end(at: datetime) -> datetime:
    """The end of the clock hour `at` falls in."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
