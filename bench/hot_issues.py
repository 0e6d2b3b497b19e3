"""Hot-issue detection replayed on a month of Weibo hot-search snapshots.

Each hourly snapshot of ../shared/data/hot_search/weibo_hot_hourly_2025-03.csv becomes posts:
for every title on the list, `ceil(heat / --heat-per-post)` microblog posts (at most
--max-posts) spread over the hour before the snapshot, carrying the title, its description and
a share of the heat as engagement. The posts go through the product's per-post analysis into a
SQLite store, and the clustering job runs once per snapshot with the snapshot's time as "now",
exactly as the scheduler would have run it live. Printed:

* how many of the titles that entered the top 10 were flagged, and when, in hours relative to
  their first snapshot in the top 10 (negative: before it);
* how many flags correspond to no title that ever entered the top 10;
* at the shipped threshold (60), beside the issue's targets, using the `category` column (a
  title's category is the one most of its rows carry, 暂无 and empty aside): the share of top-10
  titles flagged by their entry (flag time <= their first snapshot in the top 10), for 社会 and
  时事 titles and for the rest; the share of flags whose title is entertainment (`ENTERTAINMENT`);
  and catch-all flags, clusters holding more than 5 distinct titles;
* the time the replay took.

A cluster stands for the title most of its posts carry.

    python bench/hot_issues.py [--days 10] [--heat-per-post 200000] [--max-posts 12]
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.timezone import SHANGHAI  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "hot_search" / "weibo_hot_hourly_2025-03.csv"


def snapshots(path: Path, days: int) -> list[tuple[datetime, list[dict[str, str]]]]:
    by_time: dict[datetime, list[dict[str, str]]] = defaultdict(list)
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            day = datetime.strptime(row["snapshot_date"], "%Y-%m-%d")
            at = day.replace(hour=int(row["snapshot_hour"]), tzinfo=SHANGHAI)
            by_time[at].append(row)
    times = sorted(by_time)
    end = times[0] + timedelta(days=days)
    return [(t, by_time[t]) for t in times if t < end]


THRESHOLDS = (40.0, 50.0, 60.0)  # 60 is the shipped alert threshold
SHIPPED = 60.0
SOCIAL = frozenset({"社会", "时事"})
# Categories that mean stars, shows, film and TV, games or music: the top level of "明星-内地",
# "综艺-内地综艺", "电视剧-国产剧", ..., and the channels and leagues named as a category.
ENTERTAINMENT = frozenset({"明星", "综艺", "电视剧", "电影", "影视", "游戏", "音乐", "动漫", "CP"})
ENTERTAINMENT_NAMED = frozenset(
    {
        "乘风2025", "湖南卫视你好星期六", "芒果捞小萌主", "葵花娱乐", "新浪电视", "新浪动漫",
        "KPL王者荣耀职业联赛", "PEL和平精英职业联赛",
    }
)  # fmt: skip
CATCH_ALL_TITLES = 5
TARGETS = {"social": 0.8, "entertainment": 0.2, "catch-all": 0}


def is_entertainment(category: str) -> bool:
    return category.split("-")[0] in ENTERTAINMENT or category in ENTERTAINMENT_NAMED


def categories(snaps: list[tuple[datetime, list[dict[str, str]]]]) -> dict[str, str]:
    """Each title's category: the one most of its rows carry, 暂无 and empty aside."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for _, rows in snaps:
        for row in rows:
            cat = row["category"].strip()
            seen[row["title"]][cat if cat and not cat.startswith("暂无") else ""] += 1
    out = {}
    for title, counts in seen.items():
        named = [c for c, _ in counts.most_common() if c]
        out[title] = named[0] if named else "暂无"
    return out


def cluster_titles(
    hid: int, members: dict[int, Counter[int]], merged: dict[int, int]
) -> Counter[int]:
    """The titles of a cluster's posts, counting those of clusters merged into it later."""
    counts = Counter(members.get(hid, Counter()))
    for child, parent in merged.items():
        if parent == hid:
            counts.update(members.get(child, Counter()))
    return counts


def report(
    threshold: float,
    flagged: dict[int, datetime],
    members: dict[int, Counter[int]],
    merged: dict[int, int],
    top10_at: dict[int, datetime],
) -> None:
    """Flag rate, timing and false flags for one score threshold.

    A flagged cluster stands for the title most of its posts carry, counting the posts of
    clusters merged into it later."""
    first_flag: dict[int, datetime] = {}
    false_flags = 0
    for hid, at in flagged.items():
        counts = cluster_titles(hid, members, merged)
        title = counts.most_common(1)[0][0] if counts else None
        if title is None or title not in top10_at:
            false_flags += 1
            continue
        if title not in first_flag or at < first_flag[title]:
            first_flag[title] = at
    lead = [(first_flag[t] - top10_at[t]).total_seconds() / 3600 for t in first_flag]
    line = (
        f"score >= {threshold:.0f}: {len(first_flag)} of {len(top10_at)} top-10 titles flagged"
        f" ({len(first_flag) / len(top10_at):.0%})"
    )
    if lead:
        q = statistics.quantiles(lead, n=4) if len(lead) > 1 else [lead[0]] * 3
        before = sum(x <= 0 for x in lead)
        line += (
            f"; hours from entry to flag: median {statistics.median(lead):+.1f},"
            f" quartiles {q[0]:+.1f}/{q[2]:+.1f}, {before} at or before entry"
        )
    print(line + f"; {false_flags} of {len(flagged)} flags match no top-10 title")


def report_targets(
    flagged: dict[int, datetime],
    members: dict[int, Counter[int]],
    merged: dict[int, int],
    top10_at: dict[int, datetime],
    category: dict[int, str],
    title_of: dict[int, str],
) -> None:
    """The issue's targets at the shipped threshold: recall by entry for 社会/时事 titles and
    for the rest, the entertainment share of flags, and catch-all flags."""
    first_flag: dict[int, datetime] = {}
    entertainment = 0
    kinds: Counter[str] = Counter()
    catch_all: list[Counter[int]] = []
    for hid, at in flagged.items():
        counts = cluster_titles(hid, members, merged)
        if not counts:
            continue
        title = counts.most_common(1)[0][0]
        entertainment += is_entertainment(category[title])
        kinds[category[title]] += 1
        if len(counts) > CATCH_ALL_TITLES:
            catch_all.append(counts)
        if title in top10_at and (title not in first_flag or at < first_flag[title]):
            first_flag[title] = at
    print(f"targets at score >= {SHIPPED:.0f}:")
    for name, social in (("社会/时事", True), ("other categories", False)):
        titles = [t for t in top10_at if (category[t] in SOCIAL) == social]
        by_entry = sum(1 for t in titles if t in first_flag and first_flag[t] <= top10_at[t])
        anytime = sum(1 for t in titles if t in first_flag)
        share = by_entry / len(titles) if titles else 0.0
        target = f"target >= {TARGETS['social']:.0%}" if social else "no target"
        print(
            f"  {name} top-10 titles flagged by their entry: {by_entry} of {len(titles)}"
            f" ({share:.0%}; {anytime} at any time)   {target}"
        )
    n = len(flagged)
    share = entertainment / n if n else 0.0
    print(
        f"  flags whose title is entertainment: {entertainment} of {n} ({share:.0%})"
        f"   target <= {TARGETS['entertainment']:.0%}"
    )
    print(
        "  flags by their title's category: "
        + ", ".join(f"{c} {k}" for c, k in kinds.most_common())
    )
    print(
        f"  catch-all flags (a cluster of more than {CATCH_ALL_TITLES} distinct titles):"
        f" {len(catch_all)} of {n}   target {TARGETS['catch-all']}"
    )
    if catch_all:
        big = max(catch_all, key=len)
        names = " | ".join(title_of[t] for t, _ in big.most_common(4))
        print(f"  the most mixed: {len(big)} titles, {sum(big.values())} posts: {names} ...")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--heat-per-post", type=int, default=200_000)
    ap.add_argument("--max-posts", type=int, default=12)
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0

    from replay import Replay

    from api.database import session_scope
    from api.hot_issues.models import HotIssue, HotIssuePost
    from store.models import Post

    # Without alert channels each alert is a warning on stderr; the figures are what counts.
    logging.getLogger("api.alerts").setLevel(logging.ERROR)
    snaps = snapshots(DATA, args.days)
    category_of = categories(snaps)
    titles: dict[str, int] = {}
    top10_at: dict[int, datetime] = {}
    for at, rows in snaps:
        for row in rows:
            tid = titles.setdefault(row["title"], len(titles))
            if int(row["rank"]) <= 10 and tid not in top10_at:
                top10_at[tid] = at

    started = time.perf_counter()
    analysed = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        product = Replay(tmp)
        store, analyzer, engine, job = product.store, product.analyzer, product.engine, product.job
        analysis_s = job_s = 0.0
        crossed: dict[float, dict[int, datetime]] = {t: {} for t in THRESHOLDS}
        for s, (at, rows) in enumerate(snaps):
            posts = []
            for row in rows:
                tid = titles[row["title"]]
                heat = int(float(row["hot"] or 0))
                n = max(1, min(args.max_posts, math.ceil(heat / args.heat_per_post)))
                text = f"#{row['title']}# {row['description']}".strip()
                for k in range(n):
                    posts.append(
                        Post.model_validate(
                            {
                                "id": f"hs:{tid}:{s}:{k}",
                                "source": "weibo-hot",
                                "kind": "microblog",
                                "text": text,
                                "published_at": at - timedelta(minutes=59 * (k + 1) / (n + 1)),
                                "engagement": {"likes": heat // n},
                            }
                        )
                    )
            t = time.perf_counter()
            analyzer.enrich(posts)
            store.upsert(posts)
            analysis_s += time.perf_counter() - t
            analysed += len(posts)
            t = time.perf_counter()
            job.run(now=at)
            job_s += time.perf_counter() - t
            with session_scope(engine) as session:
                for hid, score in session.query(HotIssue.id, HotIssue.score).filter(
                    HotIssue.scored_at == at
                ):
                    for threshold in THRESHOLDS:
                        if score >= threshold:
                            crossed[threshold].setdefault(hid, at)
        with session_scope(engine) as session:
            members: dict[int, Counter[int]] = defaultdict(Counter)
            for hid, pid in session.query(HotIssuePost.hot_issue_id, HotIssuePost.post_id):
                members[hid][int(pid.split(":")[1])] += 1
            merged = dict(
                session.query(HotIssue.id, HotIssue.merged_into).filter(
                    HotIssue.merged_into.is_not(None)
                )
            )
        product.close()
    elapsed = time.perf_counter() - started

    print(
        f"replayed {len(snaps)} hourly snapshots ({snaps[0][0]:%Y-%m-%d} to"
        f" {snaps[-1][0]:%Y-%m-%d %H:%M}), {len(titles)} titles, {analysed} posts"
    )
    print(f"titles that entered the top 10: {len(top10_at)}")
    for threshold in THRESHOLDS:
        report(threshold, crossed[threshold], members, merged, top10_at)
    category = {tid: category_of[title] for title, tid in titles.items()}
    mapped = sorted({c for c in category.values() if is_entertainment(c)})
    print(f"entertainment categories in these days: {'、'.join(mapped)}")
    title_of = {tid: title for title, tid in titles.items()}
    report_targets(crossed[SHIPPED], members, merged, top10_at, category, title_of)
    print(
        f"time: {elapsed:.0f} s (analysis {analysis_s:.0f} s, clustering job {job_s:.0f} s"
        f" for {len(snaps)} passes, {job_s / len(snaps) * 1000:.0f} ms per pass)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
