"""Incremental topic clustering: each new post joins the closest active cluster or opens one.

A post is a TF-IDF vector over its words (jieba's reference IDF, the `TERMS` heaviest words,
unit length). A cluster is a time-decayed sum of its posts' vectors: before a post at time t is
added, the centroid is multiplied by 2^-(t - as_of)/half_life, so a cluster follows what its
recent posts talk about. A post joins the cluster of highest cosine similarity if that reaches
`threshold`; otherwise it opens a new cluster.

Candidates come from an inverted index on the centroids' heaviest terms: only clusters sharing
one of the post's words are compared, never every cluster. A near duplicate joins the cluster
of its first occurrence directly. Clusters whose last post is older than `expire_hours` leave
the index (the job marks them expired).

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
    tokens: Iterable[str], boost: Iterable[str] = (), ignore: frozenset[str] = frozenset()
) -> dict[str, float]:
    """A unit TF-IDF vector over the post's heaviest words; `boost` words count double and
    `ignore` words (the city's own name, "转发") do not count."""
    counts = Counter(w for w in tokens if len(w) > 1 and w not in ignore)
    for w in boost:
        if w in counts:
            counts[w] += 1
    if not counts:
        return {}
    idf, median = idf_table()
    weights = sorted(
        ((w, n * idf.get(w, median)) for w, n in counts.items()), key=lambda kv: (-kv[1], kv[0])
    )[:TERMS]
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
    dirty: bool = False
    norm: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.norm = math.sqrt(sum(v * v for v in self.centroid.values()))

    def top_terms(self, n: int) -> list[str]:
        return [w for w, _ in sorted(self.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    def similarity(self, vec: dict[str, float]) -> float:
        if not self.norm:
            return 0.0
        c = self.centroid
        return sum(v * c.get(w, 0.0) for w, v in vec.items()) / self.norm


@dataclass(frozen=True)
class Params:
    threshold: float = 0.35
    half_life_hours: float = 12.0
    expire_hours: float = 72.0


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

    def best(self, vec: dict[str, float], at: datetime) -> tuple[Cluster | None, float]:
        """The most similar live cluster at time `at`, and the similarity.

        The index first gives each candidate a partial dot product over its indexed terms;
        the exact similarity is computed for the `SHORTLIST` best of those only.
        """
        horizon = at - timedelta(hours=self.params.expire_hours)
        partial: dict[int, float] = defaultdict(float)
        clusters = self.clusters
        for w, v in vec.items():
            for cid in self._index.get(w, ()):
                partial[cid] += v * clusters[cid].centroid.get(w, 0.0)
        shortlist = sorted(partial, key=lambda cid: -partial[cid] / (clusters[cid].norm or 1.0))
        best: Cluster | None = None
        best_sim = 0.0
        for cid in shortlist[:SHORTLIST]:
            cluster = clusters[cid]
            if cluster.last_seen < horizon:
                continue
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
            decay = 0.5 ** (hours / self.params.half_life_hours)
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
    ) -> tuple[Cluster, bool]:
        """Put a post in a cluster; returns it and whether it was opened for this post.

        `join` forces the cluster (a near duplicate's first occurrence is in it) when live.
        """
        target = self.clusters.get(join) if join is not None else None
        if target is None:
            target, sim = self.best(vec, at)
            if target is not None and sim < self.params.threshold:
                target = None
        opened = target is None
        if target is None:
            target = Cluster(id=new_id(), centroid={}, as_of=at, first_seen=at, last_seen=at)
            self._put(target)
        self.add(target, vec, at)
        return target, opened

    def merge(self, into: Cluster, other: Cluster) -> None:
        """Fold `other` into `into` (an analyst's merge); `other` leaves the index."""
        self.remove(other.id)
        at = max(into.as_of, other.as_of)
        scaled: dict[str, float] = {}
        for c in (into, other):
            hours = (at - c.as_of).total_seconds() / 3600
            decay = 0.5 ** (hours / self.params.half_life_hours)
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
        """Other live clusters whose centroid is at least `threshold` similar to this one's
        (exact similarity for a shortlist ranked by the indexed terms, as in `best`)."""
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
        out = []
        for cid in shortlist[:SHORTLIST]:
            sim = clusters[cid].similarity(unit)
            if sim >= threshold:
                out.append((clusters[cid], sim))
        return sorted(out, key=lambda pair: (-pair[1], pair[0].id))

    def expire(self, now: datetime) -> list[Cluster]:
        """Take the clusters whose last post is older than the expiry window out of the index."""
        horizon = now - timedelta(hours=self.params.expire_hours)
        gone = [c for c in self.clusters.values() if c.last_seen < horizon]
        for c in gone:
            self.remove(c.id)
        return gone
