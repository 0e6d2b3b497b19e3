"""Clusters in and out of the tracker database: loading the live ones, saving a page's new and
changed ones, merging clusters that converged, and expiring quiet ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from analysis.clustering import Cluster, Clusterer, vectorize
from analysis.hotconfig import ClusteringConfig, HotConfig
from analysis.text import Segmenter
from analysis.topictext import has_chatter, hashtags, is_reaction, label_text, topic_text
from api.hot_issues.models import HotIssue, HotIssuePost, HotStatus
from store.base import PostStore
from store.models import Post

_T = TypeVar("_T")

# Rounds of merging in one pass (each looks again at the clusters the last one changed).
MERGE_ROUNDS = 3
# Posts written back to the store per request.
WRITE_BATCH = 500


def cluster_of(row: HotIssue) -> Cluster:
    return Cluster(
        id=row.id,
        centroid=dict(row.centroid),
        as_of=row.as_of,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        size=row.size,
        window_hours=row.window_hours,
    )


def load_clusterer(session: Session, config: HotConfig) -> Clusterer:
    """Every live cluster (active, not merged away), ready to take posts."""
    rows = session.scalars(
        select(HotIssue).where(HotIssue.active.is_(True), HotIssue.status != HotStatus.MERGED)
    )
    return Clusterer((cluster_of(r) for r in rows), config.clustering.params())


def store_cluster(row: HotIssue, cluster: Cluster) -> None:
    """Copy a cluster's centroid, times, size and label onto its row."""
    row.centroid = {w: round(v, 6) for w, v in cluster.centroid.items()}
    row.as_of, row.first_seen, row.last_seen = cluster.as_of, cluster.first_seen, cluster.last_seen
    row.size = cluster.size
    row.window_hours = cluster.window_hours
    row.keywords = keywords_of(cluster)


def write_cluster_ids(store: PostStore, post_ids: list[str], hot_id: int) -> None:
    """Tell the post store which cluster these posts now belong to."""
    for i in range(0, len(post_ids), WRITE_BATCH):
        batch = post_ids[i : i + WRITE_BATCH]
        store.update_analysis({p: {"cluster_id": str(hot_id)} for p in batch})


def post_vector(post: Post, segmenter: Segmenter, config: ClusteringConfig) -> dict[str, float]:
    """A post's TF-IDF vector over the words of its topic text (`analysis.topictext`): no
    emoticon, repost chain, handle, link, boilerplate or reaction word counts; names and whole
    hashtags weigh more."""
    text = f"{post.title} {post.text}"
    # Text without any mark of chatter (most board, hotline and news posts) is its own topic
    # text: the words the analysis stored serve, and the post is not segmented again.
    stored = post.tokens is not None and not has_chatter(text)
    words = (
        post.tokens if stored and post.tokens is not None else segmenter.segment(topic_text(text))
    )
    tokens = [w for w in words if not is_reaction(w)]
    # A hashtag is the poster's own name for the topic: it counts whole, as a name does.
    tokens += [f"#{tag}" for tag in hashtags(text)]
    return vectorize(
        tokens,
        boost=post.keywords or (),
        ignore=config.common_words,
        names=lambda w: w.startswith("#") or segmenter.is_name(w),
        name_weight=config.name_weight,
        min_idf=config.min_idf,
    )


def post_title(post: Post) -> str:
    """What the post's membership shows: its title, or its text; `post_label` is the clean one."""
    return (post.title or post.text.replace("\n", " "))[:120]


def post_label(post: Post) -> str:
    """The post's title or text as a label may show it: no emoticons, hashtags or handles."""
    return label_text(post.title or post.text.replace("\n", " "))[:120]


def save_page(session: Session, clusterer: Clusterer, titles: dict[int, str]) -> None:
    """Insert the page's new clusters (giving them their ids) and update the changed ones.

    New clusters carry temporary negative ids until they are inserted here."""
    fresh = [c for c in clusterer.clusters.values() if c.id < 0]
    rows = [
        HotIssue(
            title=titles.get(c.id, ""),
            keywords=[],
            centroid={},
            as_of=c.as_of,
            first_seen=c.first_seen,
            last_seen=c.last_seen,
            window_hours=c.window_hours,
            size=0,
            signals=[],
            explanation=[],
            stats={},
        )
        for c in fresh
    ]
    session.add_all(rows)
    session.flush()
    for c, row in zip(fresh, rows, strict=True):
        clusterer.rename(c.id, row.id)
    dirty = [c for c in clusterer.clusters.values() if c.dirty]
    if dirty:  # one executemany by primary key, without loading the rows
        session.flush()
        session.execute(update(HotIssue), [cluster_values(c) for c in dirty])
        for c in dirty:
            c.dirty = False


def keywords_of(cluster: Cluster) -> list[str]:
    """The six heaviest words, a hashtag shown by its words."""
    return list(dict.fromkeys(w.lstrip("#") for w in cluster.top_terms(8)))[:6]


def cluster_values(cluster: Cluster) -> dict[str, object]:
    """What a cluster's row keeps of it: centroid, times, size, window and keywords."""
    return {
        "id": cluster.id,
        "centroid": {w: round(v, 6) for w, v in cluster.centroid.items()},
        "as_of": cluster.as_of,
        "first_seen": cluster.first_seen,
        "last_seen": cluster.last_seen,
        "size": cluster.size,
        "window_hours": cluster.window_hours,
        "keywords": keywords_of(cluster),
    }


def _save(session: Session, cluster: Cluster) -> None:
    row = session.get(HotIssue, cluster.id)
    if row is None:
        return
    store_cluster(row, cluster)
    cluster.dirty = False


def consolidate(
    session: Session,
    store: PostStore,
    clusterer: Clusterer,
    config: HotConfig,
    touched: dict[int, datetime],
    arrivals: dict[datetime, set[int]],
) -> int:
    """Merge each changed cluster with any live cluster whose centroid is as good as the
    same topic (`merge_threshold`): single-pass clustering splits a topic whose first posts
    used different words. The younger cluster goes into the older one; clusters an analyst
    changed are left alone. `touched` and `arrivals` follow the merges. Returns how many."""
    if not touched:
        return 0
    threshold = config.clustering.merge_threshold
    curated = set(
        session.scalars(
            select(HotIssue.id).where(
                (HotIssue.curated.is_(True)) | (HotIssue.status != HotStatus.NEW)
            )
        )
    )
    merged = 0
    # A merge changes the kept centroid, which may now be as good as another cluster that was
    # looked at before it: the clusters kept are looked at again, a few rounds at most.
    todo = sorted(touched)
    for _round in range(MERGE_ROUNDS):
        kept: set[int] = set()
        for cid in todo:
            cluster = clusterer.clusters.get(cid)
            if cluster is None or cluster.size < 2 or cid in curated:
                continue
            for other, _sim in clusterer.near(cluster, threshold):
                if other.size < 2 or other.id in curated or other.id not in clusterer.clusters:
                    continue
                keep, gone = sorted((cluster, other), key=lambda c: (c.first_seen, c.id))
                merge_into(session, store, clusterer, keep, gone)
                merged += 1
                kept.add(keep.id)
                kept.discard(gone.id)
                _follow(touched, arrivals, keep, gone)
                if gone is cluster:
                    break
                cluster = keep
        if not kept:
            break
        todo = sorted(kept)
    return merged


def _follow(
    touched: dict[int, datetime], arrivals: dict[datetime, set[int]], keep: Cluster, gone: Cluster
) -> None:
    """`touched` and `arrivals` name the kept cluster where they named the merged one."""
    if gone.id in touched:
        touched[keep.id] = max(touched.pop(gone.id), touched.get(keep.id, gone.last_seen))
    else:
        touched.setdefault(keep.id, keep.last_seen)
    for ids in arrivals.values():
        if gone.id in ids:
            ids.discard(gone.id)
            ids.add(keep.id)


def merge_into(
    session: Session, store: PostStore, clusterer: Clusterer, keep: Cluster, gone: Cluster
) -> None:
    """Move every member of `gone` into `keep`; `gone` is marked merged."""
    clusterer.merge(keep, gone)
    _save(session, keep)
    moved = list(
        session.scalars(select(HotIssuePost.post_id).where(HotIssuePost.hot_issue_id == gone.id))
    )
    session.execute(
        update(HotIssuePost)
        .where(HotIssuePost.hot_issue_id == gone.id)
        .values(hot_issue_id=keep.id)
    )
    row = session.get(HotIssue, gone.id)
    if row is not None:
        row.status, row.merged_into, row.active = HotStatus.MERGED, keep.id, False
    write_cluster_ids(store, moved, keep.id)


def expire(session: Session, clusterer: Clusterer | None, config: HotConfig, now: datetime) -> int:
    """Clusters without a post for their window take no more posts; returns how many."""
    shortest = min([config.clustering.expire_hours, *config.clustering.windows.values()])
    quiet = session.execute(
        select(HotIssue.id, HotIssue.last_seen, HotIssue.window_hours).where(
            HotIssue.active.is_(True), HotIssue.last_seen < now - timedelta(hours=shortest)
        )
    )
    gone = [cid for cid, last, hours in quiet if last < now - timedelta(hours=hours)]
    for chunk in chunks(gone, 500):
        session.execute(update(HotIssue).where(HotIssue.id.in_(chunk)).values(active=False))
    if clusterer is not None and gone:
        clusterer.expire(now)
    return len(gone)


def chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
