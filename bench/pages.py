"""Web pages: server time of each role's first screen on a store of 100,000 posts and 2,000
tracked issues, against the 1 s target.

Seeds a fresh SQLite post store with --posts generated posts (the last 30 days, five
districts, four kinds of source, some in hot issues) and a fresh SQLite tracker with
--issues tracked issues, their clocks and timeline events (bench/api.py's seeding), hot
issues with their members, briefings, and one user per role. Starts the real server
(`yuqing serve`) on 127.0.0.1, signs in as each role, and requests each first screen --rounds
times: the page and the fragments and chart data it asks for as it loads. Prints the median
and p95 per request and for the whole screen, with GET /health measured in the same run as
the floor of any request. Uses no data from ../shared.

    python bench/pages.py [--posts 100000] [--issues 2000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import seed, serve  # noqa: E402
from bench.store import PHRASES, SUBJECTS  # noqa: E402

PASSWORD = "bench-page-password"
DISTRICTS = ["临江区", "滨湖区", "青山区", "城东区", "高新区"]
SOURCES = {"weibo": "microblog", "city-board": "board", "hotline-12345": "hotline", "news": "news"}
TARGET_MS = 1000.0


def seed_store(path: Path, n_posts: int, departments: list[str], hot_ids: list[int]) -> dict:
    """Posts over the last 30 days; every 20th belongs to a hot issue. Returns the members."""
    from core.settings import load_settings
    from store import open_store

    settings = load_settings(store={"backend": "sqlite", "sqlite_path": path}, data_dir=path.parent)
    store = open_store(settings)
    rng = random.Random(11)
    now = datetime.now(UTC)
    members: dict[int, list[dict]] = {h: [] for h in hot_ids}
    batch: list[dict] = []
    try:
        for i in range(n_posts):
            source = rng.choice(list(SOURCES))
            subject, district = rng.choice(SUBJECTS), rng.choice(DISTRICTS)
            text = "，".join([f"{district}{subject}"] + rng.sample(PHRASES, rng.randint(2, 4)))
            post = {
                "id": f"page-bench:{i}",
                "source": source,
                "kind": SOURCES[source],
                "title": f"{district}{subject}问题",
                "text": f"{text}。编号{i}",
                "published_at": now - timedelta(seconds=rng.randrange(30 * 86400)),
                "region": district,
                "sentiment": round(rng.random(), 4),
                "keywords": [subject, district],
                "department_guess": rng.choice(departments),
                "department_confidence": 0.8,
            }
            if hot_ids and i % 20 == 0:
                hot = hot_ids[(i // 20) % len(hot_ids)]
                post["cluster_id"] = str(hot)
                members[hot].append(post)
            batch.append(post)
            if len(batch) == 2000:
                _upsert(store, batch)
                batch = []
        _upsert(store, batch)
    finally:
        store.close()
    return members


def _upsert(store, posts: list[dict]) -> None:  # type: ignore[no-untyped-def]
    if posts:
        result = store.upsert(posts)
        if result.failed:
            raise SystemExit(f"the store refused posts: {result.failures[:3]}")


def seed_tracker_extras(
    db_url: str, n_issues: int, n_hot: int, n_briefings: int
) -> tuple[list[int], list[str]]:
    """Users per role, hot issues, briefings linked to issues. Returns hot ids, dept names."""
    from sqlalchemy import insert, select

    from api.auth.models import Role, User
    from api.auth.service import hash_password
    from api.briefings.models import Briefing, BriefingIssue
    from api.database import make_engine
    from api.departments.models import Department
    from api.hot_issues.models import HotIssue

    engine = make_engine(db_url)
    now = datetime.now(UTC)
    rng = random.Random(13)
    with engine.begin() as conn:
        departments = list(conn.execute(select(Department.id, Department.name)))
        password = hash_password(PASSWORD)
        conn.execute(
            insert(User),
            [
                {
                    "username": name,
                    "password_hash": password,
                    "role": role,
                    "department_id": departments[0].id if role is Role.HANDLER else None,
                    "is_active": True,
                    "created_at": now,
                }
                for name, role in (
                    ("analyst", Role.ANALYST),
                    ("press", Role.PRESS),
                    ("handler", Role.HANDLER),
                    ("page-leader", Role.LEADER),
                )
            ],
        )
        hot_rows = []
        for _ in range(n_hot):
            seen = now - timedelta(minutes=rng.randrange(72 * 60))
            subject, district = rng.choice(SUBJECTS), rng.choice(DISTRICTS)
            hot_rows.append(
                {
                    "title": f"{district}{subject}集中反映",
                    "keywords": [subject, district],
                    "centroid": {},
                    "as_of": seen,
                    "first_seen": seen - timedelta(hours=3),
                    "last_seen": seen,
                    "size": 50,
                    "score": round(40 + rng.random() * 50, 1),
                    "signals": [],
                    "explanation": [f"突发：近1小时{rng.randrange(5, 60)}条", "负面占比 72%"],
                    "stats": {},
                    "flagged_at": seen,
                    "flag_explanation": ["突发"],
                    "status": "new",
                    "active": True,
                    "updated_at": seen,
                }
            )
        conn.execute(insert(HotIssue), hot_rows)
        hot_ids = [r[0] for r in conn.execute(select(HotIssue.id))]
        briefings = [
            {
                "kind": rng.choice(["press_release", "press_conference"]),
                "title": f"关于{rng.choice(SUBJECTS)}问题的情况通报",
                "at": now - timedelta(hours=rng.randrange(24 * 60)),
                "url": f"https://example.gov.cn/news/{i}",
                "spokesperson": "新闻发言人",
                "created_at": now,
            }
            for i in range(n_briefings)
        ]
        conn.execute(insert(Briefing), briefings)
        briefing_ids = [r[0] for r in conn.execute(select(Briefing.id))]
        conn.execute(
            insert(BriefingIssue),
            [{"briefing_id": b, "issue_id": rng.randrange(1, n_issues + 1)} for b in briefing_ids],
        )
    engine.dispose()
    return hot_ids, [d.name for d in departments]


def seed_members(db_url: str, members: dict[int, list[dict]]) -> None:
    from sqlalchemy import insert

    from api.database import make_engine
    from api.hot_issues.models import HotIssuePost

    rows = [
        {
            "post_id": post["id"],
            "hot_issue_id": hot,
            "published_at": post["published_at"],
            "source": post["source"],
            "kind": post["kind"],
            "title": post["title"],
            "sentiment": post["sentiment"],
        }
        for hot, posts in members.items()
        for post in posts
    ]
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(HotIssuePost), rows[start : start + 5000])
    engine.dispose()


def screens(issue_id: int) -> dict[str, tuple[str, str]]:
    """Each role's first screen: who opens it, and its address."""
    query = urllib.parse.urlencode({"q": "停水"})
    return {
        "研判 (analyst)": ("analyst", "/triage"),
        "检索 (analyst)": ("analyst", f"/search?{query}"),
        "领导视图 (leader)": ("page-leader", "/leader"),
        "发布 (press)": ("press", "/press"),
        "问题详情 (leader)": ("page-leader", f"/issues/{issue_id}"),
        "承办 (handler)": ("handler", "/handler"),
    }


LOAD_FRAGMENT = re.compile(r'<[^>]*hx-get="([^"]+)"[^>]*hx-trigger="load"')
CHART_DATA = re.compile(r'data-src="([^"]+)"')
SPARKLINE = re.compile(r'data-spark="(\d+)"')


def loaded_with(page: str) -> list[str]:
    """What the page asks for as it loads: htmx fragments triggered on load, chart data, and
    the sparklines of the hot issues it shows (as dashboards/static/js/app.js does)."""
    urls = [html.unescape(u) for u in LOAD_FRAGMENT.findall(page) + CHART_DATA.findall(page)]
    sparks = SPARKLINE.findall(page)
    if sparks:
        urls.append("/triage/sparklines.json?ids=" + ",".join(sparks))
    return urls


def sign_in(port: int, username: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD})
    conn.request(
        "POST", "/api/auth/token", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    reply = conn.getresponse()
    data = json.loads(reply.read())
    if reply.status != 200:
        raise SystemExit(f"cannot sign in as {username}: {data}")
    return data["access_token"]


def timed_get(conn: http.client.HTTPConnection, path: str, cookie: str) -> tuple[float, str]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"yq_session={cookie}"})
    reply = conn.getresponse()
    body = reply.read()
    elapsed = (time.perf_counter() - started) * 1000
    if reply.status != 200:
        raise SystemExit(f"GET {path} answered {reply.status}: {body[:300]!r}")
    return elapsed, body.decode("utf-8", "replace")


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else values[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--issues", type=int, default=2_000)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite:///{tmp}/tracker.db"
        started = time.perf_counter()
        seed(db_url, args.issues, args.issues * 10)
        hot_ids, departments = seed_tracker_extras(db_url, args.issues, n_hot=300, n_briefings=200)
        members = seed_store(tmp / "posts.db", args.posts, departments, hot_ids)
        seed_members(db_url, members)
        print(
            f"seeded {args.posts:,} posts, {args.issues:,} issues ({args.issues * 10:,} events),"
            f" {len(hot_ids)} hot issues, 200 briefings in {time.perf_counter() - started:.0f} s"
        )
        with serve(tmp, db_url, ["--workers", "1"]) as port:
            wait_for(port)
            measure(port, args.rounds)
    return 0


def measure(port: int, rounds: int) -> None:
    """Each screen `rounds` times after a first load: the page, then what it loads with, one
    after another (a browser asks for those in parallel, so the sum is the slow bound)."""
    cookies: dict[str, str] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    health = [timed_get(conn, "/health", "")[0] for _ in range(rounds * 2)]
    print(
        f"one client, {rounds} rounds after a first load; GET /health, the floor of any"
        f" request: p50 {statistics.median(health):.1f} ms"
    )
    print(f"  {'screen (page + what it loads) / request':<46} {'p50':>9} {'p95':>9}")
    for name, (user, path) in screens(issue_id=1).items():
        cookie = cookies.get(user) or cookies.setdefault(user, sign_in(port, user))
        per_path: dict[str, list[float]] = {}
        totals = []
        for _ in range(rounds + 1):
            elapsed, page = timed_get(conn, path, cookie)
            per_path.setdefault(path, []).append(elapsed)
            total = elapsed
            for url in loaded_with(page):
                elapsed, _ = timed_get(conn, url, cookie)
                per_path.setdefault(url, []).append(elapsed)
                total += elapsed
            totals.append(total)
        # The first round fills caches (templates, the quarter's figures): reported apart.
        first, totals = totals[0], totals[1:]
        verdict = "ok" if p95(totals) < TARGET_MS else "OVER the 1 s target"
        print(
            f"  {name:<46} {statistics.median(totals):7.1f}ms {p95(totals):7.1f}ms"
            f"   first load {first:.0f} ms; {verdict}"
        )
        for url, values in per_path.items():
            warm = values[1:] or values
            print(f"    {url[:44]:<44} {statistics.median(warm):7.1f}ms {p95(warm):7.1f}ms")


if __name__ == "__main__":
    sys.exit(main())
