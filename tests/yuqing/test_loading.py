"""Loading posts from JSON lines: analysis of new posts only, and a quarantine for bad lines."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.enrich import AnalysisFiles, PostAnalyzer
from store.sqlite import SqlitePostStore
from yuqing.loading import load_posts, read_jsonl

COMPLAINTS = [
    "停水两天了，太糟糕了，没人管",
    "半夜异味刺鼻，根本没法睡，投诉也没用",
    "物业乱收费，服务太差",
]
PRAISE = [
    "点赞政务服务中心，办事效率高，工作人员很热情",
    "公交新线路很方便，感谢",
    "问题很快解决了，非常满意",
]


def write_posts(path: Path) -> Path:
    lines = [
        json.dumps(
            {"id": f"load:{i}", "source": "export", "kind": "board", "text": text,
             "published_at": f"2025-03-0{i + 1}T10:00:00+08:00"},
            ensure_ascii=False,
        )
        for i, text in enumerate(COMPLAINTS + PRAISE)
    ]  # fmt: skip
    lines.insert(2, "{broken")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loading_analyses_new_posts_and_skips_unchanged_ones(tmp_path: Path) -> None:
    store = SqlitePostStore(tmp_path / "posts.db")
    rows = list(read_jsonl(write_posts(tmp_path / "posts.jsonl")))
    analyzer = PostAnalyzer(AnalysisFiles(neardup_db=tmp_path / "neardup.db"))
    report = load_posts(
        store, rows, analyzer=analyzer, quarantine_dir=tmp_path / "q", label="export"
    )
    assert (report.created, report.failed) == (6, 1)
    assert report.rejected[0].line == 3 and "not valid JSON" in report.rejected[0].reason
    assert report.quarantine is not None and report.quarantine.exists()
    posts = {h.post.text: h.post for h in store.search(limit=50).hits}
    assert all(p.keywords and p.tokens for p in posts.values())
    angry = [posts[t].sentiment for t in COMPLAINTS]
    happy = [posts[t].sentiment for t in PRAISE]
    # The default model, not trained on these texts: complaints score low, praise clearly higher.
    assert sum(angry) / 3 < 0.3
    assert sum(happy) / 3 > sum(angry) / 3 + 0.2

    again = load_posts(store, rows, analyzer=analyzer)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
