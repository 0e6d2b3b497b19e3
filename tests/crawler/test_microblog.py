"""The microblog spider on Scrapy's real engine against a local Weibo-like API."""

from __future__ import annotations

from tests.crawler.site_microblog import TOTAL

FIELDS = {
    "id": "id",
    "text": "text",
    "published_at": "created_at",
    "author": "user.screen_name",
    "author_verified": "user.verified",
    "reposts": "reposts_count",
    "comments": "comments_count",
    "likes": "attitudes_count",
    "region": "region_name",
    "repost_of": "retweeted_status",
}


def timeline(product, name: str = "weibo"):  # type: ignore[no-untyped-def]
    return {
        "name": name,
        "kind": "microblog",
        "api_url": product.url("/mb/timeline"),
        "items_path": "data.statuses",
        "pagination": {"type": "cursor", "param": "max_id", "next_cursor_path": "data.next_max_id"},
        "fields": FIELDS,
    }


def test_a_cursor_timeline_is_crawled_with_engagement_and_reposts(product) -> None:
    product.sources(timeline(product))
    result = product.yuqing("crawl", "weibo")
    assert result.returncode == 0, result.stderr
    # 25 statuses plus the original that five of them repost, handed out once.
    assert "weibo: 26 items, 26 new, 0 updated, 0 unchanged, 0 failed" in result.stdout
    assert product.server.hits["/mb/timeline"] == 3
    store = product.store()
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


def test_a_second_run_stops_at_the_first_seen_status(product) -> None:
    product.sources(timeline(product))
    assert product.yuqing("crawl", "weibo").returncode == 0
    again = product.yuqing("crawl", "weibo")
    assert again.returncode == 0, again.stderr
    assert " 0 new" in again.stdout
    assert product.server.hits["/mb/timeline"] == 4  # three pages, then the first only


def test_page_numbers_bad_times_and_broken_replies(product) -> None:
    product.sources(
        {
            "name": "search",
            "kind": "microblog",
            "api_url": product.url("/mb/search?q=异味"),
            "items_path": "data.cards",
            "item_path": "mblog",
            "pagination": {"type": "page", "param": "page", "has_more_path": "data.has_more"},
            "fields": FIELDS,
        },
        {
            "name": "broken",
            "kind": "microblog",
            "api_url": product.url("/mb/broken"),
            "items_path": "data.statuses",
            "pagination": {"type": "page", "param": "page"},
            "fields": FIELDS,
        },
    )
    result = product.yuqing("crawl", "search", "broken")
    assert result.returncode == 0, result.stderr
    assert "search: 27 items, 26 new, 0 updated, 0 unchanged, 1 failed" in result.stdout
    assert product.server.hits["/mb/search"] == 3
    reasons = [q["reason"] for q in product.quarantined("search")]
    assert reasons == ["published_at: unknown time format: 'sometime soon'"]
    assert "not JSON" in product.quarantined("broken")[0]["reason"]
    assert "broken: 0 items" in result.stdout
