"""Loading posts: analysis of new posts only, and the demo data set."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from store.sqlite import SqlitePostStore
from yuqing.demo import demo_rows
from yuqing.loading import Rejected, load_posts


def test_demo_rows_end_on_the_requested_day() -> None:
    rows = [row for _, row in demo_rows(today=date(2026, 1, 15)) if isinstance(row, dict)]
    assert len(rows) >= 400
    newest = max(row["published_at"] for row in rows)
    assert newest.startswith("2026-01-15")
    assert {row["kind"] for row in rows} == {"news", "board", "microblog", "hotline"}


def test_loading_analyses_new_posts_and_skips_unchanged_ones(tmp_path: Path) -> None:
    store = SqlitePostStore(tmp_path / "posts.db")
    every = list(demo_rows(today=date(2026, 1, 15)))
    outage = [r for r in every if "停水" in r[1]["text"]][:10]
    praise = [r for r in every if "点赞" in r[1]["text"]][:5]
    rows = outage + praise + [r for r in every if r not in outage + praise][:15]
    rows.append((999, Rejected(999, "not valid JSON", "{")))
    report = load_posts(store, rows, quarantine_dir=tmp_path / "q", label="demo")
    assert (report.created, report.failed) == (30, 1)
    assert report.quarantine is not None and report.quarantine.exists()
    posts = store.search(limit=50).hits
    assert all(0.0 <= h.post.sentiment <= 1.0 for h in posts)
    assert all(h.post.keywords for h in posts)
    angry = [h.post.sentiment for h in posts if "停水" in h.post.text]
    happy = [h.post.sentiment for h in posts if "点赞" in h.post.text]
    assert len(angry) == 10 and len(happy) == 5
    # SnowNLP's shipped model, not a tuned one: complaints score low, praise clearly higher.
    assert sum(angry) / len(angry) < 0.3
    assert sum(happy) / len(happy) > sum(angry) / len(angry) + 0.2

    again = load_posts(store, rows[:30])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 30)
