"""Topic clustering on real Weibo events: how well the clustering job's topics match threads.

Each line of ../shared/data/events/ced_threads_dev.jsonl.gz is one real event: an original post
and up to 100 of its reposts and comments. A sample of threads goes through the product as a
crawl would bring it: per-post analysis (`PostAnalyzer.enrich`), a SQLite post store, and one
pass of the clustering job (`yuqing analyze`). The job's topics are then compared with the
threads, in two variants:

* (a) real times, and each reply linked to its original (`is_repost_of`), as a crawl of a
  repost or comment timeline gives it;
* (b) text only, no links, every thread moved into one 24-hour window (the original at a random
  time in its first half, the replies' order kept and squeezed into the rest), so events
  compete for the same posts.

Printed per variant, beside the issue's target: clusters, purity, inverse purity
(completeness), NMI and ARI (an unassigned post counts as a cluster of its own), the share of
posts in singleton clusters or unassigned, catch-all clusters (>= 20 posts from > 3 threads),
and the share of replies in their original's cluster.

CED holds several threads on one event (the same rumour posted by different accounts), so a
second ground truth counts threads whose originals share at least half of their character
3-grams as one event; both are printed, the thread one first.

Threads are split in two by a hash of their id: `tune` (parameters were chosen looking at this
half only) and `test` (the default; report figures from it).

    python bench/clustering_quality.py [--threads 300] [--split test] [--variant a|b|both]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.timezone import SHANGHAI  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "events" / "ced_threads_dev.jsonl.gz"
CATCH_ALL_POSTS, CATCH_ALL_THREADS = 20, 3
TARGETS = {
    "a": {"purity": 0.95, "inverse purity": 0.95},
    "b": {"purity": 0.90, "NMI": 0.75, "singleton+unassigned": 0.15, "catch-all": 0},
}


def split_of(thread: str) -> str:
    return "tune" if hashlib.sha1(thread.encode()).digest()[0] % 2 == 0 else "test"


def load_threads(split: str, n: int, seed: int) -> list[dict]:
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        threads = [t for t in map(json.loads, f) if split_of(t["thread"]) == split]
    random.Random(seed).shuffle(threads)
    return threads[:n]


def original_time(value: object) -> datetime:
    """The original's time: Unix seconds, or Weibo's "Sat Mar 16 10:09:35 +0800 2013"."""
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), SHANGHAI)
    return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y").astimezone(SHANGHAI)


def reply_time(text: str, origin: datetime) -> datetime:
    """A reply's "YYYY-MM-DD HH:MM:SS", or (14 of them) "MM月DD日 HH:MM" in the original's year."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        at = datetime.strptime(f"{origin.year}年{text}", "%Y年%m月%d日 %H:%M")
        return at.replace(tzinfo=SHANGHAI)


def count(value: object) -> int:
    try:
        return max(0, int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def build_posts(threads: list[dict], variant: str, seed: int) -> tuple[list, dict[str, int]]:
    """The posts of the threads as the variant brings them, and each post's thread."""
    from store.models import Post

    rng = random.Random(seed)
    window_start = datetime(2026, 6, 1, tzinfo=SHANGHAI)
    posts: list = []
    thread_of: dict[str, int] = {}
    for i, t in enumerate(threads):
        o = t["original"]
        origin = original_time(o["time"])
        replies, seen = [], set()
        for r in t["replies"]:
            if r["mid"] in seen:
                continue
            seen.add(r["mid"])
            at = reply_time(r["date"], origin)
            replies.append((max(at, origin), r))
        if variant == "b":
            start = window_start + timedelta(seconds=rng.uniform(0, 12 * 3600))
            span = max(((at - origin).total_seconds() for at, _ in replies), default=0.0)
            squeeze = min(1.0, 11 * 3600 / span) if span else 1.0
            moved = [(start + (at - origin) * squeeze, r) for at, r in replies]
            origin, replies = start, moved
        oid = f"ced-{i}:o"
        posts.append(
            Post.model_validate(
                {
                    "id": oid, "source": "weibo", "kind": "microblog", "text": o["text"],
                    "published_at": origin,
                    "engagement": {
                        "reposts": count(o.get("reposts")),
                        "comments": count(o.get("comments")),
                        "likes": count(o.get("likes")),
                    },
                }
            )
        )  # fmt: skip
        thread_of[oid] = i
        for at, r in replies:
            pid = f"ced-{i}:{r['mid']}"
            data = {
                "id": pid, "source": "weibo", "kind": "microblog", "text": r["text"],
                "published_at": at, "author": r["uid"],
            }  # fmt: skip
            if variant == "a":
                data["is_repost_of"] = oid
            posts.append(Post.model_validate(data))
            thread_of[pid] = i
    return posts, thread_of


def run_job(posts: list, tmp: Path) -> tuple[dict[str, int], dict, float]:
    """Posts through per-post analysis, the store and one clustering pass: each post's
    cluster, the pass's figures, and the seconds the pass took."""
    from replay import Replay

    from api.database import session_scope
    from api.hot_issues.models import HotIssuePost

    replay = Replay(tmp)
    for i in range(0, len(posts), 1000):
        batch = posts[i : i + 1000]
        replay.analyzer.enrich(batch)
        replay.store.upsert(batch)
    last = max(p.published_at for p in posts)
    started = time.perf_counter()
    result = replay.job.run(now=last + timedelta(hours=1))
    seconds = time.perf_counter() - started
    with session_scope(replay.engine) as session:
        cluster_of = dict(session.query(HotIssuePost.post_id, HotIssuePost.hot_issue_id))
    replay.close()
    return cluster_of, result.as_dict(), seconds


def same_events(threads: list[dict]) -> list[int]:
    """Each thread's event: threads whose originals' character 3-gram sets have a Jaccard
    similarity of at least 0.5 are one event."""
    from analysis.topictext import topic_text

    grams = []
    for t in threads:
        text = topic_text(t["original"]["text"])
        grams.append({text[i : i + 3] for i in range(max(0, len(text) - 2))})
    event = list(range(len(threads)))

    def root(i: int) -> int:
        while event[i] != i:
            event[i] = event[event[i]]
            i = event[i]
        return i

    for i in range(len(threads)):
        for j in range(i + 1, len(threads)):
            a, b = grams[i], grams[j]
            if a and b and len(a & b) >= 0.5 * len(a | b):
                event[root(j)] = root(i)
    return [root(i) for i in range(len(threads))]


def topicless(posts: list) -> float:
    """The share of posts with no topical word once emoticons, chains, handles, links,
    boilerplate, reaction words and bare numbers are gone (only a link can place them)."""
    from analysis.text import shipped_segmenter
    from analysis.topictext import is_reaction, topic_text

    segmenter = shipped_segmenter()
    empty = 0
    for post in posts:
        words = segmenter.segment(topic_text(f"{post.title} {post.text}"))
        empty += not any(len(w) > 1 and not is_reaction(w) for w in words)
    return empty / len(posts)


def measure(thread_of: dict[str, int], cluster_of: dict[str, int]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    ids = sorted(thread_of)
    truth = [thread_of[p] for p in ids]
    found = [f"c{cluster_of[p]}" if p in cluster_of else f"u{p}" for p in ids]
    by_cluster: dict[str, Counter[int]] = defaultdict(Counter)
    by_thread: dict[int, Counter[str]] = defaultdict(Counter)
    for t, c in zip(truth, found, strict=True):
        by_cluster[c][t] += 1
        by_thread[t][c] += 1
    n = len(ids)
    purity = sum(max(c.values()) for c in by_cluster.values()) / n
    inverse = sum(max(c.values()) for c in by_thread.values()) / n
    sizes = Counter(found)
    singleton = sum(1 for p in ids if p in cluster_of and sizes[f"c{cluster_of[p]}"] == 1)
    unassigned = sum(1 for p in ids if p not in cluster_of)
    catch_all = sum(
        1
        for c, threads in by_cluster.items()
        if c.startswith("c") and sum(threads.values()) >= CATCH_ALL_POSTS
        and len(threads) > CATCH_ALL_THREADS
    )  # fmt: skip
    original = {thread_of[p]: cluster_of.get(p) for p in ids if p.endswith(":o")}
    replies = [p for p in ids if not p.endswith(":o")]
    with_original = sum(
        1 for p in replies if p in cluster_of and cluster_of[p] == original.get(thread_of[p])
    )
    return {
        "posts": n,
        "threads": len(by_thread),
        "clusters": sum(1 for c in by_cluster if c.startswith("c")),
        "purity": purity,
        "inverse purity": inverse,
        "NMI": normalized_mutual_info_score(truth, found),
        "ARI": adjusted_rand_score(truth, found),
        "singleton": singleton / n,
        "unassigned": unassigned / n,
        "singleton+unassigned": (singleton + unassigned) / n,
        "catch-all": catch_all,
        "replies with original": with_original / len(replies) if replies else 0.0,
    }


def report(variant: str, figures: dict[str, float], job: dict, seconds: float) -> None:
    targets = TARGETS[variant]
    print(f"\nvariant ({variant}): {figures['threads']} threads, {figures['posts']} posts")
    for key, value in figures.items():
        if key in ("posts", "threads"):
            continue
        shown = f"{value:.3f}" if isinstance(value, float) else f"{value}"
        target = targets.get(key)
        if target is None:
            print(f"  {key:24s} {shown}")
            continue
        lower = key in ("singleton+unassigned", "catch-all")
        met = value <= target if lower else value >= target
        sign = "<=" if lower else ">="
        print(f"  {key:24s} {shown}   target {sign} {target}  {'met' if met else 'MISSED'}")
    rate = job["scanned"] / seconds if seconds else 0.0
    print(
        f"  clustering pass: {job['scanned']} posts in {seconds:.1f} s ({rate:.0f} posts/s),"
        f" {job['opened']} opened, {job['merged']} merged, {job['unassigned']} unassigned,"
        f" {job['flagged']} flagged"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=300)
    ap.add_argument("--split", choices=("tune", "test"), default="test")
    ap.add_argument("--variant", choices=("a", "b", "both"), default="both")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    threads = load_threads(args.split, args.threads, args.seed)
    print(f"{len(threads)} threads from the {args.split} split of {DATA.name}")
    events = same_events(threads)
    for variant in ("a", "b") if args.variant == "both" else (args.variant,):
        posts, thread_of = build_posts(threads, variant, args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            cluster_of, job, seconds = run_job(posts, Path(tmp))
        report(variant, measure(thread_of, cluster_of), job, seconds)
        by_event = {p: events[t] for p, t in thread_of.items()}
        figures = measure(by_event, cluster_of)
        print(
            f"  by event ({len(set(events))} events): purity {figures['purity']:.3f},"
            f" inverse purity {figures['inverse purity']:.3f}, NMI {figures['NMI']:.3f},"
            f" ARI {figures['ARI']:.3f}, catch-all {figures['catch-all']}"
        )
        assigned = {p: t for p, t in thread_of.items() if p in cluster_of}
        figures = measure(assigned, cluster_of)
        print(
            f"  over the {len(assigned)} posts given a topic: purity {figures['purity']:.3f},"
            f" NMI {figures['NMI']:.3f}, ARI {figures['ARI']:.3f}"
        )
        print(f"  posts with no topical word of their own: {topicless(posts):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
