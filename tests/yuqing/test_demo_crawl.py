"""The demo end to end: each demo source, crawled from the sample city site, gets what it serves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

import pytest

from core.settings import CONFIG_DIR
from core.timezone import SHANGHAI
from store.sqlite import SqlitePostStore
from yuqing.demo.site import build_site, serve

YUQING = str(Path(sys.executable).with_name("yuqing"))
EXPECTED = {  # source -> the site's count it must match
    "demo-news": "news_rss",
    "demo-rongmei": "news_atom",
    "demo-board": "board",
    "demo-weibo": "microblog",
    "demo-12345": "hotline",
}
LINE = re.compile(r"^(\S+): (\d+) items, (\d+) new, (\d+) updated, (\d+) unchanged, (\d+) failed")


@pytest.fixture
def demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    site = build_site()
    noon = datetime.combine(site.today, time(12, 0), tzinfo=SHANGHAI)
    server, _ = serve("127.0.0.1", 0, site=site, clock=lambda: noon)
    port = server.server_address[1]
    sources = (CONFIG_DIR / "sources.yaml").read_text(encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(sources.replace(":8100/", f":{port}/"), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_") and k != "CI"}
    env.update(
        YUQING_DATA_DIR=str(tmp_path),
        YUQING_STORE__SQLITE_PATH=str(tmp_path / "posts.db"),
        YUQING_DATABASE__URL=f"sqlite:///{tmp_path}/tracker.db",
        YUQING_CRAWLER__SOURCES_FILE=str(tmp_path / "sources.yaml"),
        YUQING_LOG_LEVEL="WARNING",
    )
    yield site.visible_counts(noon), env, tmp_path
    server.shutdown()


def crawl_all(env: dict[str, str]) -> dict[str, tuple[int, ...]]:
    done = subprocess.run(
        [YUQING, "crawl", *EXPECTED], env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts = {}
    for line in done.stdout.splitlines():
        if match := LINE.match(line):
            counts[match.group(1)] = tuple(int(g) for g in match.groups()[1:])
    assert set(counts) == set(EXPECTED), done.stdout
    return counts


def test_demo_sources_get_what_the_site_serves_and_a_second_crawl_adds_nothing(demo) -> None:
    visible, env, root = demo
    assert sum(visible.values()) >= 2000
    first = crawl_all(env)
    for source, key in EXPECTED.items():
        items, new, updated, unchanged, failed = first[source]
        assert (items, new, failed) == (visible[key], visible[key], 0), source
    store = SqlitePostStore(root / "posts.db")
    assert store.count() == sum(visible[key] for key in EXPECTED.values())
    kinds = {b.key: b.count for b in store.aggregate().by_source}
    assert kinds["demo-12345"] == visible["hotline"]

    second = crawl_all(env)
    assert all(second[source][1] == 0 for source in EXPECTED), second
    assert store.count() == sum(visible[key] for key in EXPECTED.values())
