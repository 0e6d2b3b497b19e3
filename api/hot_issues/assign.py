"""Assigning one page of newly stored posts to clusters.

Structure first: a reply, a repost or a near duplicate joins the cluster of the post it answers
or copies (when that is live and in time). Any other post joins the closest live cluster in
time, across sources, by the words of its topic text, or opens one. A post with too little
topical text of its own (an emoticon, "转发微博", a laugh) and no link stays unassigned, and is
counted as such. Posts are taken in time order within a page, so an original comes before its
replies.

The memberships are recorded with what the score needs about each post, the page's clusters
are saved, `cluster_id` is written back to the post store, and the cursor moves past the page,
all in one transaction, so a crash resumes where it stopped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from analysis.clustering import Cluster, Clusterer
from analysis.hotconfig import HotConfig
from analysis.text import Segmenter
from api.hot_issues import clusters, state
from api.hot_issues.clusters import chunks
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
    unassigned: int = 0


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
    roots = {r for p in page.posts for r in parents(p)}
    root_cluster: dict[str, int] = {}
    if roots:
        for chunk in chunks(sorted(roots), 500):
            found = session.execute(
                select(HotIssuePost.post_id, HotIssuePost.hot_issue_id).where(
                    HotIssuePost.post_id.in_(chunk)
                )
            )
            root_cluster.update({post_id: hot_id for post_id, hot_id in found})
    temp_ids = itertools.count(-1, -1)
    titles: dict[int, str] = {}

    def opener(post: Post) -> Callable[[], int]:
        """Gives a cluster opened by `post` its temporary id and the post's title."""

        def new_id() -> int:
            cid = next(temp_ids)
            titles[cid] = clusters.post_label(post) or clusters.post_title(post)
            return cid

        return new_id

    placed: list[tuple[Post, Cluster]] = []
    joined: dict[str, Cluster] = {}
    params = clusterer.params
    for post in sorted(page.posts, key=lambda p: p.published_at):
        out.scanned += 1
        member = members.get(post.id)
        if member is not None:  # a changed post stays where it is; refresh what we keep of it
            member.title, member.sentiment = clusters.post_title(post)[:300], post.sentiment
            member.engagement = engagement(post)
            member.answered = post.reply is not None
            continue
        vector = clusters.post_vector(post, segmenter, config.clustering)
        join, linked = None, False
        for parent in parents(post):
            root = joined.get(parent)
            join = root.id if root is not None else root_cluster.get(parent)
            if join is not None:
                linked = parent in (post.reply_to, post.is_repost_of)
                break
        cluster, opened = clusterer.assign(
            vector,
            post.published_at,
            opener(post),
            join=join,
            linked=linked,
            window=params.window(post.kind.value),
            discussed=post.engagement.reposts + post.engagement.comments > 0,
        )
        if cluster is None:
            out.unassigned += 1
            continue
        out.assigned += 1
        out.opened += opened
        joined[post.id] = cluster
        placed.append((post, cluster))
    clusters.save_page(session, clusterer, titles)
    for post, cluster in placed:
        arrivals.add(cluster.id, post.published_at)
    if placed:  # one executemany, not an ORM object per post
        session.execute(
            insert(HotIssuePost), [membership(p, c.id, config, official) for p, c in placed]
        )
    if placed:
        store.update_analysis({post.id: {"cluster_id": str(c.id)} for post, c in placed})
    state.move_cursor(session, page.cursor)
    return out


def membership(
    post: Post, hot_id: int, config: HotConfig, official: frozenset[str]
) -> dict[str, Any]:
    """The post's membership row, with what scoring reads about the post."""
    return {
        "post_id": post.id,
        "hot_issue_id": hot_id,
        "published_at": post.published_at,
        "source": post.source,
        "kind": post.kind.value,
        "title": clusters.post_title(post)[:300],
        "sentiment": post.sentiment,
        "engagement": engagement(post),
        "official": post.source in official or (post.author or "") in config.official_authors,
        "author": (post.author or "")[:200] or None,
        "sensitive": config.sensitive_groups(f"{post.title} {post.text}"),
        "copy": post.near_dup_of is not None or post.is_repost_of is not None,
        "answered": post.reply is not None,
        "pinned": False,
        "added_at": datetime.now(UTC),
    }


def parents(post: Post) -> list[str]:
    """The posts this one answers, reposts or copies, the closest link first."""
    return [p for p in (post.reply_to, post.is_repost_of, post.near_dup_of) if p]


def engagement(post: Post) -> int:
    e = post.engagement
    return e.reposts + e.comments + e.likes


def hour_end(at: datetime) -> datetime:
    """The end of the clock hour `at` falls in."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
