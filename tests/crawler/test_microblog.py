"""The microblog spider: fed the Weibo-like API's answers in-process, and on Scrapy's engine."""

from __future__ import annotations

import pytest

from crawler.spiders.listing_items import count
from tests.crawler.blocks import OFFLINE, broken, search, timeline
from tests.crawler.harness import Bench, results, spider_for
from tests.crawler.server import FixtureServer
from tests.crawler.site_microblog import TOTAL


def test_a_timeline_page_gives_statuses_with_engagement_reposts_once_and_the_cursor(
    bench: Bench,
) -> None:
    block = timeline(OFFLINE)
    with bench.run(block) as context:
        spider = spider_for(context)
        response = bench.pages.response(block["api_url"], page=1, number=1)
        items, requests = results(spider.parse(response))

    # 25..16, and the original that 25 and 20 repost, handed out once, before the first.
    ids = [item["native_id"] for item in items]
    assert ids == ["4000", *(str(5000 + n) for n in range(TOTAL, TOTAL - 10, -1))]
    newest = items[1]
    assert {k: v for k, v in newest.items() if k not in ("published_at", "text")} == {
        "published_precision": "minute",
        "native_id": "5025",
        "origin": block["api_url"],
        "kind": "microblog",
        "url": None,
        "title": "",
        "author": "江澜网友1",
        "author_verified": False,
        "region": "青山区",
        "engagement": {"reposts": 25, "comments": 50, "likes": 75},
        "is_repost_of": "weibo:4000",
    }
    assert newest["published_at"] == context.now  # "刚刚": just now, to the minute
    by_id = {item["native_id"]: item for item in items}
    assert by_id["5020"]["engagement"]["comments"] == 12_000  # "1.2万"
    assert by_id["5020"]["is_repost_of"] == "weibo:4000"
    assert "is_repost_of" not in by_id["5024"]
    assert by_id["4000"]["author_verified"] is True
    assert by_id["4000"]["engagement"] == {"reposts": 300, "comments": 120, "likes": 88}
    (following,) = requests
    assert following.url == f"{OFFLINE}/mb/timeline?max_id=15"
    assert following.meta["page"] == 2 and following.callback == spider.parse


def test_a_cursor_timeline_is_read_to_its_end_into_the_store(bench: Bench) -> None:
    summary, walk = bench.walk(timeline(OFFLINE))
    # 25 statuses plus the original that five of them repost, handed out once.
    assert summary.line().startswith("weibo: 26 items, 26 new, 0 updated, 0 unchanged, 0 failed")
    assert walk.fetched == [
        f"{OFFLINE}/mb/timeline",
        f"{OFFLINE}/mb/timeline?max_id=15",
        f"{OFFLINE}/mb/timeline?max_id=5",
    ]
    store = bench.store
    assert store.count() == 26
    newest = store.get(f"weibo:{5000 + TOTAL}")
    assert newest.text == f"青山化工园附近又有刺鼻异味 #江澜异味# 第{TOTAL}条\n请环保部门查查"
    assert newest.kind == "microblog" and newest.region == "青山区"
    assert (newest.author, newest.author_verified) == ("江澜网友1", False)
    assert newest.engagement.model_dump() == {"reposts": 25, "comments": 50, "likes": 75}
    assert store.get("weibo:5020").engagement.comments == 12_000
    assert store.get("weibo:5020").is_repost_of == "weibo:4000"
    original = store.get("weibo:4000")
    assert original.author_verified is True and original.engagement.reposts == 300
    assert original.published_at.isoformat() == "2025-03-10T08:00:00+08:00"
    oldest = store.get("weibo:5001")
    assert oldest.published_at < newest.published_at
    marks = bench.recorder.marks["weibo"]
    assert marks.last_seen_id == "5025" and marks.last_seen_at == newest.published_at


def test_a_second_run_stops_at_the_first_seen_status(bench: Bench) -> None:
    bench.walk(timeline(OFFLINE))
    again, walk = bench.walk(timeline(OFFLINE))
    assert again.line().startswith("weibo: 0 items, 0 new")
    assert walk.fetched == [f"{OFFLINE}/mb/timeline"]  # the first page only
    assert bench.pages.hits["/mb/timeline"] == 4  # three pages, then the first only


def test_page_numbers_bad_times_and_broken_replies(bench: Bench) -> None:
    found, walk = bench.walk(search(OFFLINE))
    assert found.line().startswith("search: 27 items, 26 new, 0 updated, 0 unchanged, 1 failed")
    # Pages 1 to 3; page 3 says there is no more.
    assert [url.rsplit("page=", 1)[1] for url in walk.fetched] == ["1", "2", "3"]
    reasons = [q["reason"] for q in bench.quarantined("search")]
    assert reasons == ["published_at: unknown time format: 'sometime soon'"]
    assert bench.store.get("search:5011").engagement.likes == 33

    nothing, _ = bench.walk(broken(OFFLINE))
    assert nothing.line().startswith("broken: 0 items")
    (record,) = bench.quarantined("broken")
    assert record["reason"].startswith("not JSON")
    assert record["origin"] == f"{OFFLINE}/mb/broken?page=1"


@pytest.mark.parametrize(
    ("shown", "value"),
    [(12, 12), ("12", 12), ("1.2万", 12_000), ("3k+", 3000), ("2亿", 200_000_000),
     ("", 0), (None, 0), (True, 0), (-5, 0), ("很多", 0)],
)  # fmt: skip
def test_engagement_counts_are_read_as_sites_show_them(shown: object, value: int) -> None:
    assert count(shown) == value


def test_on_scrapy_s_engine_cursor_and_page_numbers_are_followed(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    url = fixture_server.url
    summaries = bench.crawl(timeline(url), search(url), broken(url))
    lines = {name: summary.line() for name, summary in summaries.items()}
    assert lines["weibo"].startswith("weibo: 26 items, 26 new, 0 updated, 0 unchanged, 0 failed")
    assert lines["search"].startswith("search: 27 items, 26 new, 0 updated, 0 unchanged, 1 failed")
    assert lines["broken"].startswith("broken: 0 items")
    assert fixture_server.hits["/mb/timeline"] == 3
    assert fixture_server.hits["/mb/search"] == 3
    assert bench.store.get("weibo:5020").is_repost_of == "weibo:4000"

    again = bench.crawl(timeline(url))
    assert again["weibo"].line().startswith("weibo: 0 items, 0 new")
    assert fixture_server.hits["/mb/timeline"] == 4
