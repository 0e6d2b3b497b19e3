"""Reading hot issues, and the analysts' changes to them (status, dismiss, merge, split,
promotion into a tracked issue).

Every change to clusters runs under the clustering lease and bumps the generation, so the job
reloads its clusters before its next page and never writes over an analyst's change.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from analysis.clustering import Cluster, Clusterer
from analysis.text import Segmenter
from api.database import rows_changed, unit_of_work
from api.hot_issues import state
from api.hot_issues.clusters import (
    cluster_of,
    post_label,
    post_title,
    post_vector,
    store_cluster,
    write_cluster_ids,
)
from api.hot_issues.config import hot_config
from api.hot_issues.models import (
    HotIssue,
    HotIssueAlert,
    HotIssueDetail,
    HotIssuePost,
    HotIssueRead,
    HotStatus,
    MemberRead,
)
from core.errors import ConflictError, InputError, NotFoundError
from core.settings import Settings
from store.base import PostStore
from store.models import Post

MAX_MEMBERS = 200


def list_hot(
    *,
    session: Session,
    include_all: bool = False,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HotIssue], int]:
    """Flagged clusters, hottest first; `include_all` adds expired and dismissed ones and
    orders by peak score."""
    q = select(HotIssue).where(HotIssue.flagged_at.is_not(None), HotIssue.status != "merged")
    if not include_all:
        q = q.where(HotIssue.active.is_(True), HotIssue.status != "dismissed")
    if status:
        q = q.where(HotIssue.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    # All of them, as after a backfill: the topics that were hottest then come first.
    order = (
        (HotIssue.peak_score.desc(), HotIssue.score.desc(), HotIssue.id)
        if include_all
        else (HotIssue.score.desc(), HotIssue.id)
    )
    rows = session.scalars(q.order_by(*order).limit(limit).offset(offset)).all()
    return list(rows), total


def get(*, session: Session, hot_id: int) -> HotIssue:
    row = session.get(HotIssue, hot_id)
    if row is None:
        raise NotFoundError(f"no hot issue {hot_id}")
    return row


def get_many(*, session: Session, hot_ids: list[int]) -> list[HotIssue]:
    """The hot issues of these ids that exist, in the order given."""
    if not hot_ids:
        return []
    rows = {r.id: r for r in session.scalars(select(HotIssue).where(HotIssue.id.in_(hot_ids)))}
    return [rows[i] for i in hot_ids if i in rows]


def members(*, session: Session, hot_id: int, limit: int = MAX_MEMBERS) -> list[HotIssuePost]:
    return list(
        session.scalars(
            select(HotIssuePost)
            .where(HotIssuePost.hot_issue_id == hot_id)
            .order_by(HotIssuePost.published_at.desc())
            .limit(limit)
        )
    )


def detail(*, session: Session, row: HotIssue, limit: int = MAX_MEMBERS) -> HotIssueDetail:
    base = HotIssueRead.model_validate(row).model_dump()
    shown = members(session=session, hot_id=row.id, limit=limit)
    return HotIssueDetail(**base, members=[MemberRead.model_validate(m) for m in shown])


def alerts_of(*, session: Session, hot_id: int) -> list[HotIssueAlert]:
    """The alerts raised on a hot issue, newest first."""
    return list(
        session.scalars(
            select(HotIssueAlert)
            .where(HotIssueAlert.hot_issue_id == hot_id)
            .order_by(HotIssueAlert.id.desc())
        )
    )


# -- analysts' changes --------------------------------------------------------------------------


def set_status(*, factory: sessionmaker[Session], hot_id: int, status: str) -> None:
    with state.lease(factory), unit_of_work(factory) as session:
        row = get(session=session, hot_id=hot_id)
        if row.status == HotStatus.MERGED:
            raise ConflictError(f"hot issue {hot_id} was merged into {row.merged_into}")
        if row.issue_id is not None:
            raise ConflictError(f"hot issue {hot_id} is tracked as issue {row.issue_id}")
        row.status, row.curated = status, True
        state.bump_generation(session)


def dismiss(*, factory: sessionmaker[Session], hot_id: int, reason: str) -> None:
    """Dismissed clusters keep absorbing their topic's posts but never alert again."""
    with state.lease(factory), unit_of_work(factory) as session:
        row = get(session=session, hot_id=hot_id)
        if row.status == HotStatus.MERGED:
            raise ConflictError(f"hot issue {hot_id} was merged into {row.merged_into}")
        row.status, row.note, row.curated = HotStatus.DISMISSED, reason, True
        state.bump_generation(session)


def check_promotable(row: HotIssue) -> None:
    """Refuse, with the reason, a hot issue that is tracked already, dismissed or merged."""
    if row.issue_id is not None:
        raise ConflictError(f"hot issue {row.id} is already tracked as issue {row.issue_id}")
    if row.status == HotStatus.MERGED:
        raise ConflictError(f"hot issue {row.id} was merged into {row.merged_into}; promote that")
    if row.status == HotStatus.DISMISSED:
        raise ConflictError(f"hot issue {row.id} was dismissed ({row.note or 'no reason given'})")


def claim_for_promotion(*, session: Session, hot_id: int, issue_id: int) -> None:
    """Mark the hot issue promoted into tracked issue `issue_id`, in the caller's transaction.

    One conditional UPDATE: of two promotions at once exactly one wins; a dismissed or
    merged hot issue, or one promoted already, is refused with the reason."""
    taken = rows_changed(
        session,
        update(HotIssue)
        .where(
            HotIssue.id == hot_id,
            HotIssue.issue_id.is_(None),
            HotIssue.status.not_in([HotStatus.DISMISSED, HotStatus.MERGED]),
        )
        .values(issue_id=issue_id, status=HotStatus.PROMOTED, curated=True)
        .execution_options(synchronize_session="fetch"),
    )
    if taken:
        state.bump_generation(session)
        return
    row = get(session=session, hot_id=hot_id)
    session.refresh(row)
    check_promotable(row)
    raise ConflictError(f"hot issue {hot_id} changed meanwhile; reload it")


def merge(
    *,
    factory: sessionmaker[Session],
    store: PostStore,
    settings: Settings,
    hot_id: int,
    other_ids: list[int],
) -> None:
    """Move the members of `other_ids` into `hot_id`; the others become `merged`."""
    if hot_id in other_ids:
        raise InputError("a hot issue cannot be merged into itself")
    params = hot_config(settings).clustering.params()
    with state.lease(factory), unit_of_work(factory) as session:
        target = get(session=session, hot_id=hot_id)
        if target.status == HotStatus.MERGED:
            raise ConflictError(f"hot issue {hot_id} was merged into {target.merged_into}")
        others = [get(session=session, hot_id=i) for i in other_ids]
        for other in others:
            if other.status == HotStatus.MERGED:
                raise ConflictError(f"hot issue {other.id} was already merged")
        into = cluster_of(target)
        clusterer = Clusterer([], params)
        moved: list[str] = []
        for other in others:
            clusterer.merge(into, cluster_of(other))
            moved += session.scalars(
                select(HotIssuePost.post_id).where(HotIssuePost.hot_issue_id == other.id)
            ).all()
            session.execute(
                update(HotIssuePost)
                .where(HotIssuePost.hot_issue_id == other.id)
                .values(hot_issue_id=target.id)
            )
            other.status, other.merged_into, other.active = HotStatus.MERGED, target.id, False
        store_cluster(target, into)
        target.active, target.curated = True, True
        target.scored_at = None  # rescored on the next pass
        state.bump_generation(session)
        write_cluster_ids(store, moved, target.id)


def split(
    *,
    factory: sessionmaker[Session],
    store: PostStore,
    settings: Settings,
    segmenter: Segmenter,
    hot_id: int,
    post_ids: list[str],
) -> int:
    """Move posts out of `hot_id` into a new cluster of their own; returns the new id.

    The split-off posts are pinned: later passes never move them. Both centroids are rebuilt
    from their members' words.
    """
    with state.lease(factory), unit_of_work(factory) as session:
        source = get(session=session, hot_id=hot_id)
        rows = session.scalars(
            select(HotIssuePost).where(
                HotIssuePost.hot_issue_id == hot_id, HotIssuePost.post_id.in_(post_ids)
            )
        ).all()
        missing = sorted(set(post_ids) - {r.post_id for r in rows})
        if missing:
            raise InputError(f"not members of hot issue {hot_id}: {', '.join(missing[:10])}")
        if len(rows) == source.size:
            raise InputError("a split must leave at least one post behind")
        now = datetime.now(UTC)
        first = min(r.published_at for r in rows)
        new = HotIssue(
            title=rows[0].title,
            keywords=[],
            centroid={},
            as_of=first,
            first_seen=first,
            last_seen=first,
            size=0,
            signals=[],
            explanation=[],
            stats={},
            status=HotStatus.NEW,
            note=f"从热点 {hot_id} 拆分",
            curated=True,
        )
        session.add(new)
        session.flush()
        for r in rows:
            r.hot_issue_id, r.pinned, r.added_at = new.id, True, now
        session.flush()
        source.curated = True
        for row in (source, new):
            ids = session.scalars(
                select(HotIssuePost.post_id).where(HotIssuePost.hot_issue_id == row.id)
            ).all()
            _rebuild(row, store, settings, segmenter, list(ids))
            row.scored_at = None
        state.bump_generation(session)
        write_cluster_ids(store, [r.post_id for r in rows], new.id)
        return new.id


def _rebuild(
    row: HotIssue, store: PostStore, settings: Settings, segmenter: Segmenter, post_ids: list[str]
) -> None:
    posts: list[Post] = []
    for i in range(0, len(post_ids), 500):
        posts += store.get_many(post_ids[i : i + 500]).values()
    posts.sort(key=lambda p: p.published_at)
    if not posts:
        return
    first = posts[0].published_at
    config = hot_config(settings)
    params = config.clustering.params()
    window = max(params.window(p.kind.value) for p in posts)
    cluster = Cluster(row.id, {}, first, first, first, 0, window_hours=window)
    clusterer = Clusterer([], params)
    for post in posts:
        vector = post_vector(post, segmenter, config.clustering)
        clusterer.add(cluster, vector, post.published_at)
    store_cluster(row, cluster)
    row.size = len(post_ids)
    if row.size == 1 or not row.title:
        row.title = post_label(posts[0]) or post_title(posts[0])
