"""Assigning one page of newly stored posts to clusters.

Each post joins the closest live cluster, across sources, or opens one; a near duplicate joins
its original's cluster. The memberships are recorded with what the score needs about each
post, the page's clusters are saved, `cluster_id` is written back to the post store, and the
cursor moves past the page, all in one transaction, so a crash resumes where it stopped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.clustering import Cluster, Clusterer
from analysis.hotness import HotConfig
from analysis.text import Segmenter
from api.hot_issues import clusters, state
from api.hot_issues.models import HotIssuePost
from store.base import PostStore
from store.models import Post

PAGE = 500


@dataclass
class Arrivals:
    """Where a pass's new posts went: each cluster's newest post, and the clusters that took
    posts in each past hour (so late posts are scored at the hour they belong to)."""

    touched: dict[int, datetime] = field(default_factory=dict)
    by_hour: dict[datetime, set[int]] = field(default_factory=dict)

    def add(self, cluster_id: int, at: datetime) -> None:
        self.touched[cluster_id] = max(at, self.touched.get(cluster_id, at))
        self.by_hour.setdefault(hour_end(at), set()).add(cluster_id)


@dataclass
class PageResult:
    scanned: int = 0
    assigned: int = 0
    opened: int = 0
    skipped: int = 0


def assign_page(
    session: Session,
    store: PostStore,
    clusterer: Clusterer,
    *,
    config: HotConfig,
    segmenter: Segmenter,
    official: frozenset[str],
    arrivals: Arrivals,
) -> PageResult:
    """Cluster the next page of posts after the cursor; `scanned` is 0 when there are none."""
    out = PageResult()
    page = store.scan(after=state.cursor(session), limit=PAGE)
    if not page.posts:
        return out
    ids = [p.id for p in page.posts]
    members = {
        m.post_id: m
        for m in session.scalars(select(HotIssuePost).where(HotIssuePost.post_id.in_(ids)))
    }
    roots = {p.near_dup_of for p in page.posts if p.near_dup_of}
    root_cluster: dict[str, int] = {}
    if roots:
        found = session.execute(
            select(HotIssuePost.post_id, HotIssuePost.hot_issue_id).where(
                HotIssuePost.post_id.in_(roots)
            )
        )
        root_cluster = {post_id: hot_id for post_id, hot_id in found}
    temp_ids = itertools.count(-1, -1)
    titles: dict[int, str] = {}

    def opener(post: Post) -> Callable[[], int]:
        """Gives a cluster opened by `post` its temporary id and the post's title."""

        def new_id() -> int:
            cid = next(temp_ids)
            titles[cid] = clusters.post_title(post)
            return cid

        return new_id

    placed: list[tuple[Post, Cluster]] = []
    joined: dict[str, Cluster] = {}
    ignore = config.clustering.common_words
    for post in page.posts:
        out.scanned += 1
        member = members.get(post.id)
        if member is not None:  # a changed post stays where it is; refresh what we keep of it
            member.title, member.sentiment = clusters.post_title(post)[:300], post.sentiment
            member.engagement = engagement(post)
            continue
        vector = clusters.post_vector(post, segmenter, ignore)
        if not vector:
            out.skipped += 1
            continue
        join = None
        if post.near_dup_of:
            root = joined.get(post.near_dup_of)
            join = root.id if root is not None else root_cluster.get(post.near_dup_of)
        cluster, opened = clusterer.assign(vector, post.published_at, opener(post), join=join)
        out.assigned += 1
        out.opened += opened
        joined[post.id] = cluster
        placed.append((post, cluster))
    clusters.save_page(session, clusterer, titles)
    for post, cluster in placed:
        arrivals.add(cluster.id, post.published_at)
        session.add(membership(post, cluster.id, config, official))
    if placed:
        store.update_analysis({post.id: {"cluster_id": str(c.id)} for post, c in placed})
    state.move_cursor(session, page.cursor)
    return out


def membership(
    post: Post, hot_id: int, config: HotConfig, official: frozenset[str]
) -> HotIssuePost:
    """The post's membership row, with what scoring reads about the post."""
    return HotIssuePost(
        post_id=post.id,
        hot_issue_id=hot_id,
        published_at=post.published_at,
        source=post.source,
        kind=post.kind.value,
        title=clusters.post_title(post)[:300],
        sentiment=post.sentiment,
        engagement=engagement(post),
        official=post.source in official or (post.author or "") in config.official_authors,
        author=(post.author or "")[:200] or None,
        sensitive=config.sensitive_groups(f"{post.title} {post.text}"),
        copy=post.near_dup_of is not None,
        pinned=False,
    )


def engagement(post: Post) -> int:
    e = post.engagement
    return e.reposts + e.comments + e.likes


def hour_end(at: datetime) -> datetime:
    """The end of the clock hour `at` falls in."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
