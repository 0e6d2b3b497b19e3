"""Reading hot issues and alerts, and the analysts' changes to clusters.

Every change runs under the clustering lease and bumps the generation, so the job reloads its
clusters before its next page and never writes over an analyst's change.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from analysis.clustering import Cluster, Clusterer
from api.alerts.job import (
    bump_generation,
    cluster_of,
    hot_config,
    lease,
    post_title,
    post_vector,
    store_cluster,
    write_cluster_ids,
)
from api.alerts.models import (
    Alert,
    HotIssue,
    HotIssueDetail,
    HotIssuePost,
    HotIssueRead,
    MemberRead,
)
from api.database import unit_of_work
from core.errors import ConflictError, InputError, NotFoundError
from core.settings import Settings
from store.base import PostStore

MAX_MEMBERS = 200


def list_hot(
    *,
    session: Session,
    include_all: bool = False,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HotIssue], int]:
    """Flagged clusters, hottest first; `include_all` adds expired and dismissed ones."""
    q = select(HotIssue).where(HotIssue.flagged_at.is_not(None), HotIssue.status != "merged")
    if not include_all:
        q = q.where(HotIssue.active.is_(True), HotIssue.status != "dismissed")
    if status:
        q = q.where(HotIssue.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(
        q.order_by(HotIssue.score.desc(), HotIssue.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def get(session: Session, hot_id: int) -> HotIssue:
    row = session.get(HotIssue, hot_id)
    if row is None:
        raise NotFoundError(f"no hot issue {hot_id}")
    return row


def members(session: Session, hot_id: int, limit: int = MAX_MEMBERS) -> list[HotIssuePost]:
    return list(
        session.scalars(
            select(HotIssuePost)
            .where(HotIssuePost.hot_issue_id == hot_id)
            .order_by(HotIssuePost.published_at.desc())
            .limit(limit)
        )
    )


def detail(session: Session, row: HotIssue, limit: int = MAX_MEMBERS) -> HotIssueDetail:
    base = HotIssueRead.model_validate(row).model_dump()
    return HotIssueDetail(
        **base, members=[MemberRead.model_validate(m) for m in members(session, row.id, limit)]
    )


def list_alerts(*, session: Session, limit: int = 50, offset: int = 0) -> tuple[list[Alert], int]:
    total = session.scalar(select(func.count()).select_from(Alert)) or 0
    rows = session.scalars(select(Alert).order_by(Alert.id.desc()).limit(limit).offset(offset))
    return list(rows), total


# -- analysts' changes --------------------------------------------------------------------------


def set_status(factory: sessionmaker[Session], hot_id: int, status: str) -> None:
    with lease(factory), unit_of_work(factory) as session:
        row = get(session, hot_id)
        if row.status == "merged":
            raise ConflictError(f"hot issue {hot_id} was merged into {row.merged_into}")
        row.status, row.curated = status, True
        bump_generation(session)


def dismiss(factory: sessionmaker[Session], hot_id: int, reason: str) -> None:
    """Dismissed clusters keep absorbing their topic's posts but never alert again."""
    with lease(factory), unit_of_work(factory) as session:
        row = get(session, hot_id)
        if row.status == "merged":
            raise ConflictError(f"hot issue {hot_id} was merged into {row.merged_into}")
        row.status, row.note, row.curated = "dismissed", reason, True
        bump_generation(session)


def merge(
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
    with lease(factory), unit_of_work(factory) as session:
        target = get(session, hot_id)
        if target.status == "merged":
            raise ConflictError(f"hot issue {hot_id} was merged into {target.merged_into}")
        others = [get(session, i) for i in other_ids]
        for other in others:
            if other.status == "merged":
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
            other.status, other.merged_into, other.active = "merged", target.id, False
        store_cluster(target, into)
        target.active, target.curated = True, True
        target.scored_at = None  # rescored on the next pass
        bump_generation(session)
        write_cluster_ids(store, moved, target.id)


def split(
    factory: sessionmaker[Session],
    store: PostStore,
    settings: Settings,
    hot_id: int,
    post_ids: list[str],
) -> int:
    """Move posts out of `hot_id` into a new cluster of their own; returns the new id.

    The split-off posts are pinned: later passes never move them. Both centroids are rebuilt
    from their members' words.
    """
    with lease(factory), unit_of_work(factory) as session:
        source = get(session, hot_id)
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
            status="new",
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
            _rebuild(row, store, settings, list(ids))
            row.scored_at = None
        bump_generation(session)
        write_cluster_ids(store, [r.post_id for r in rows], new.id)
        return new.id


def _rebuild(row: HotIssue, store: PostStore, settings: Settings, post_ids: list[str]) -> None:
    posts = []
    for i in range(0, len(post_ids), 500):
        posts += store.get_many(post_ids[i : i + 500]).values()
    posts.sort(key=lambda p: p.published_at)
    if not posts:
        return
    first = posts[0].published_at
    cluster = Cluster(row.id, {}, first, first, first, 0)
    clusterer = Clusterer([], hot_config(settings).clustering.params())
    ignore = hot_config(settings).clustering.common_words
    for post in posts:
        clusterer.add(cluster, post_vector(post, ignore), post.published_at)
    store_cluster(row, cluster)
    row.size = len(post_ids)
    if row.size == 1 or not row.title:
        row.title = post_title(posts[0])
