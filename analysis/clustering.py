"""Incremental topic clustering: each new post joins the closest active cluster or opens one.

A post is a TF-IDF vector over its words (jieba's reference IDF, the `TERMS` heaviest words,
unit length). A cluster is a time-decayed sum of its posts' vectors: before a post at time t is
added, the centroid is multiplied by 2^-(t - as_of)/half_life, so a cluster follows what its
recent posts talk about. A post joins the cluster of highest cosine similarity if that reaches
`threshold`; otherwise it opens a new cluster.

Candidates come from an inverted index on the centroids' heaviest terms: only clusters sharing
one of the post's words are compared, never every cluster. A near duplicate, a repost or a
reply joins the cluster of the post it copies or answers directly (structure before text).

Topics live in time. Each cluster has a window, set by the kind of source its posts came from:
a microblog burst is over in days, a complaint about one estate on the message board or the
hotline comes back for weeks. A post joins, and two clusters merge, only when their activity
is no further apart than the window; the half-life of a centroid is the same share of its
window for every kind. Clusters whose last post is older than their window leave the index (the
job marks them expired).

Nothing here touches a database: the job loads `Cluster` objects, runs `assign`, and saves the
ones that changed (`dirty`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analysis.text import idf_table

TERMS = 24  # words per post vector
CENTROID_TERMS = 64  # words kept per centroid
INDEX_TERMS = 16  # centroid words a cluster is found by
SHORTLIST = 8  # candidates whose exact similarity is computed


def vectorize(
    tokens: Iterable[str],
    boost: Iterable[str] = (),
    ignore: frozenset[str] = frozenset(),
    names: Callable[[str], bool] | None = None,
    name_weight: float = 1.0,
    min_idf: float = 0.0,
) -> dict[str, float]:
    """A unit TF-IDF vector over the post's heaviest words; `boost` words count double,
    `ignore` words (the city's own name, "转发") and words more common than `min_idf` (jieba's
    reference IDF) do not count, unless `names` tells they are names (places, estates, roads,
    organisations): those weigh `name_weight` times more."""
    idf, median = idf_table()
    get = idf.get
    counts = Counter(
        w
        for w in tokens
        if len(w) > 1
        and w not in ignore
        and (get(w, median) >= min_idf or (names is not None and names(w)))
    )
    for w in boost:
        if w in counts:
            counts[w] += 1
    if not counts:
        return {}
    if names is not None and name_weight != 1.0:
        scored = [
            (w, n * get(w, median) * (name_weight if names(w) else 1.0)) for w, n in counts.items()
        ]
    else:
        scored = [(w, n * get(w, median)) for w, n in counts.items()]
    weights = sorted(scored, key=lambda kv: (-kv[1], kv[0]))[:TERMS]
    norm = math.sqrt(sum(v * v for _, v in weights))
    return {w: v / norm for w, v in weights}


@dataclass
class Cluster:
    id: int
    centroid: dict[str, float]
    as_of: datetime  # time the centroid weights refer to
    first_seen: datetime
    last_seen: datetime
    size: int = 0
    window_hours: float = 72.0  # how far apart its posts may be (set by their kind of source)
    dirty: bool = False
    norm: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.norm = math.sqrt(sum(v * v for v in self.centroid.values()))

    def top_terms(self, n: int) -> list[str]:
        return [w for w, _ in sorted(self.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    def gap_hours(self, at: datetime) -> float:
        """Hours between `at` and the cluster's activity (0 within it)."""
        if at < self.first_seen:
            return (self.first_seen - at).total_seconds() / 3600
        if at > self.last_seen:
            return (at - self.last_seen).total_seconds() / 3600
        return 0.0

    def similarity(self, vec: dict[str, float]) -> float:
        if not self.norm:
            return 0.0
        c = self.centroid
        return sum(v * c.get(w, 0.0) for w, v in vec.items()) / self.norm


@dataclass(frozen=True)
class Params:
    threshold: float = 0.35
    half_life_hours: float = 12.0  # of a cluster whose window is `expire_hours`
    expire_hours: float = 72.0  # the window of a kind `windows` does not name
    windows: tuple[tuple[str, float], ...] = ()  # (kind, hours)
    # A post with fewer distinct topical words joins a topic or stays unassigned; it never
    # opens one.
    min_terms: int = 2

    def window(self, kind: str | None) -> float:
        for name, hours in self.windows:
            if name == kind:
                return hours
        return self.expire_hours

    def half_life(self, cluster: Cluster) -> float:
        return self.half_life_hours * cluster.window_hours / self.expire_hours


class Clusterer:
    """Active clusters, their inverted index, and the assignment of new posts."""

    def __init__(self, clusters: Iterable[Cluster], params: Params = Params()) -> None:
        self.params = params
        self.clusters: dict[int, Cluster] = {}
        self._index: dict[str, set[int]] = defaultdict(set)
        self._indexed: dict[int, list[str]] = {}
        for cluster in clusters:
            self._put(cluster)

    def _put(self, cluster: Cluster) -> None:
        self.clusters[cluster.id] = cluster
        self._reindex(cluster)

    def _reindex(self, cluster: Cluster) -> None:
        for w in self._indexed.get(cluster.id, ()):
            self._index[w].discard(cluster.id)
        terms = cluster.top_terms(INDEX_TERMS)
        for w in terms:
            self._index[w].add(cluster.id)
        self._indexed[cluster.id] = terms

    def remove(self, cluster_id: int) -> Cluster | None:
        cluster = self.clusters.pop(cluster_id, None)
        for w in self._indexed.pop(cluster_id, ()):
            self._index[w].discard(cluster_id)
        return cluster

    def candidates(self, vec: dict[str, float]) -> set[int]:
        found: set[int] = set()
        for w in vec:
            ids = self._index.get(w)
            if ids:
                found |= ids
        return found

    def best(
        self, vec: dict[str, float], at: datetime, window: float | None = None
    ) -> tuple[Cluster | None, float]:
        """The most similar live cluster at time `at` within the window (the post's, or the
        cluster's when that is longer), and the similarity.

        The index first gives each candidate a partial dot product over its indexed terms;
        the exact similarity is computed for the `SHORTLIST` best of those in time only.
        """
        window = self.params.expire_hours if window is None else window
        partial: dict[int, float] = defaultdict(float)
        clusters = self.clusters
        for w, v in vec.items():
            for cid in self._index.get(w, ()):
                partial[cid] += v * clusters[cid].centroid.get(w, 0.0)
        shortlist = sorted(partial, key=lambda cid: -partial[cid] / (clusters[cid].norm or 1.0))
        best: Cluster | None = None
        best_sim = 0.0
        compared = 0
        for cid in shortlist:
            cluster = clusters[cid]
            if cluster.gap_hours(at) > max(window, cluster.window_hours):
                continue
            compared += 1
            if compared > SHORTLIST:
                break
            sim = cluster.similarity(vec)
            if sim > best_sim or (sim == best_sim and best is not None and cid < best.id):
                best, best_sim = cluster, sim
        return best, best_sim

    def rename(self, old: int, new: int) -> None:
        """Give a cluster its permanent id (new clusters get one when they are saved)."""
        cluster = self.remove(old)
        if cluster is not None:
            cluster.id = new
            self._put(cluster)

    def add(self, cluster: Cluster, vec: dict[str, float], at: datetime) -> None:
        """Fold a post's vector into the cluster's decayed centroid."""
        decay = 1.0
        if at > cluster.as_of:
            hours = (at - cluster.as_of).total_seconds() / 3600
            decay = 0.5 ** (hours / self.params.half_life(cluster))
            cluster.as_of = at
        merged = {w: v * decay for w, v in cluster.centroid.items()}
        for w, v in vec.items():
            merged[w] = merged.get(w, 0.0) + v
        if len(merged) > CENTROID_TERMS:
            merged = dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS])
        cluster.centroid = merged
        cluster.norm = math.sqrt(sum(v * v for v in merged.values()))
        cluster.size += 1
        cluster.first_seen = min(cluster.first_seen, at)
        cluster.last_seen = max(cluster.last_seen, at)
        cluster.dirty = True
        self._reindex(cluster)

    def assign(
        self,
        vec: dict[str, float],
        at: datetime,
        new_id: Callable[[], int],
        *,
        join: int | None = None,
        linked: bool = False,
        window: float | None = None,
        discussed: bool = False,
    ) -> tuple[Cluster | None, bool]:
        """Put a post in a cluster; returns it (None: the post stays unassigned) and whether
        it was opened for this post.

        `join` forces the cluster of a post this one copies, reposts or answers: when it is live
        if `linked` (the source links the two), when it is live and in time otherwise (a near
        duplicate). A post of fewer than `min_terms` topical words joins a similar
        cluster or none: it opens no topic of its own, unless it is `discussed` (others reposted
        or commented on it: the start of a thread) and has a topical word at all. `window` is
        the post's (its kind's).
        """
        window = self.params.expire_hours if window is None else window
        # A reply or repost link holds whenever the cluster is live (a late reply is still the
        # thread); a near duplicate's only when it is in time (the same text a year later is
        # another event).
        target = self.clusters.get(join) if join is not None else None
        if (
            target is not None
            and not linked
            and target.gap_hours(at) > max(window, target.window_hours)
        ):
            target = None
        if target is None and vec:
            target, sim = self.best(vec, at, window)
            if target is not None and sim < self.params.threshold:
                target = None
        opened = target is None
        if target is None:
            if not vec or (len(vec) < self.params.min_terms and not discussed):
                return None, False
            target = Cluster(
                id=new_id(), centroid={}, as_of=at, first_seen=at, last_seen=at,
                window_hours=window,
            )  # fmt: skip
            self._put(target)
        target.window_hours = max(target.window_hours, window)
        # A post with too little topical text joins, but does not shape the topic's words.
        self.add(target, vec if len(vec) >= self.params.min_terms else {}, at)
        return target, opened

    def merge(self, into: Cluster, other: Cluster) -> None:
        """Fold `other` into `into` (an analyst's merge); `other` leaves the index."""
        self.remove(other.id)
        at = max(into.as_of, other.as_of)
        scaled: dict[str, float] = {}
        into.window_hours = max(into.window_hours, other.window_hours)
        for c in (into, other):
            hours = (at - c.as_of).total_seconds() / 3600
            decay = 0.5 ** (hours / self.params.half_life(into))
            for w, v in c.centroid.items():
                scaled[w] = scaled.get(w, 0.0) + v * decay
        into.centroid = dict(
            sorted(scaled.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS]
        )
        into.norm = math.sqrt(sum(v * v for v in into.centroid.values()))
        into.as_of = at
        into.size += other.size
        into.first_seen = min(into.first_seen, other.first_seen)
        into.last_seen = max(into.last_seen, other.last_seen)
        into.dirty = True
        if into.id in self.clusters:
            self._reindex(into)

    def near(self, cluster: Cluster, threshold: float) -> list[tuple[Cluster, float]]:
        """Other live clusters whose centroid is at least `threshold` similar to this one's (half
        of it when both have a hashtag among their heaviest words) and whose activity is within
        the longer of the two windows of this one's (exact similarity for a shortlist ranked by
        the indexed terms, as in `best`)."""
        if not cluster.norm:
            return []
        unit = {w: v / cluster.norm for w, v in cluster.centroid.items()}
        partial: dict[int, float] = defaultdict(float)
        clusters = self.clusters
        for w in cluster.top_terms(INDEX_TERMS):
            for cid in self._index.get(w, ()):
                if cid != cluster.id:
                    partial[cid] += unit[w] * clusters[cid].centroid.get(w, 0.0)
        shortlist = sorted(partial, key=lambda cid: -partial[cid] / (clusters[cid].norm or 1.0))
        tags = {w for w in cluster.top_terms(INDEX_TERMS) if w.startswith("#")}
        out = []
        compared = 0
        for cid in shortlist:
            other = clusters[cid]
            if _apart_hours(cluster, other) > max(cluster.window_hours, other.window_hours):
                continue
            compared += 1
            if compared > SHORTLIST:
                break
            sim = other.similarity(unit)
            # Posters who tag both with one hashtag say it is one topic: half the bar will do.
            shared = tags and tags & set(other.top_terms(INDEX_TERMS))
            if sim >= (threshold / 2 if shared else threshold):
                out.append((other, sim))
        return sorted(out, key=lambda pair: (-pair[1], pair[0].id))

    def expire(self, now: datetime) -> list[Cluster]:
        """Take the clusters whose last post is older than their window out of the index."""
        gone = [
            c for c in self.clusters.values() if c.last_seen < now - timedelta(hours=c.window_hours)
        ]
        for c in gone:
            self.remove(c.id)
        return gone


def _apart_hours(a: Cluster, b: Cluster) -> float:
    """Hours between the activity of two clusters (0 when they overlap)."""
    if a.last_seen < b.first_seen:
        return (b.first_seen - a.last_seen).total_seconds() / 3600
    if b.last_seen < a.first_seen:
        return (a.first_seen - b.last_seen).total_seconds() / 3600
    return 0.0
