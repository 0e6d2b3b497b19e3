"""The news spider: fed the fixture portal's feeds and pages in-process, and on Scrapy's engine."""

from __future__ import annotations

import uuid
from datetime import datetime

from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from core.timezone import SHANGHAI
from crawler.extract import extract_article, find_published, select_text
from tests.crawler import site_news
from tests.crawler.blocks import OFFLINE, news
from tests.crawler.harness import Bench, results, spider_for
from tests.crawler.server import FixtureServer

RSS = news(OFFLINE, "city-rss", "/news/rss.xml?run=offline", region="临江区")


def test_an_rss_feed_asks_for_each_article_newest_first_with_the_entry(bench: Bench) -> None:
    with bench.run(RSS) as context:
        spider = spider_for(context)
        items, requests = results(spider.parse_feed(bench.pages.response(RSS["feed_url"])))

    assert items == []
    paths = ["road", "gbk", "label", "garbage", "truncated", "slow", "busy"]
    assert [r.url for r in requests] == [
        *(f"{OFFLINE}/news/a/{path}.html" for path in paths[:-1]),
        f"{OFFLINE}/news/a/busy.html?run=offline",
    ]
    assert {(r.callback, r.errback, r.dont_filter) for r in requests} == {
        (spider.parse_article, spider.article_failed, True)
    }
    entry = requests[0].meta["item"]
    assert entry == {
        "kind": "news",
        "native_id": "lj-1",
        "url": f"{OFFLINE}/news/a/road.html",
        "title": "人民路改造进入路面施工",
        "text": "<p>摘要1：人民路改造进入路面施工。</p>",
        "author": None,
        # The feed says GMT; stored as Beijing time.
        "published_at": datetime(2025, 3, 18, 10, 23, tzinfo=SHANGHAI),
        "published_precision": "second",  # RFC 822 gives the seconds
        "origin": f"{OFFLINE}/news/a/road.html",
        "region": "临江区",
    }
    assert [r.meta["item"]["native_id"] for r in requests] == [f"lj-{n}" for n in range(1, 8)]


def test_rss_articles_are_decoded_and_extracted_and_a_second_run_reads_only_the_feed(
    bench: Bench,
) -> None:
    first, _ = bench.walk(RSS)
    # Seven entries, seven posts: the garbage page and the truncated one fall back or give
    # what they have.
    assert first.line().startswith("city-rss: 7 items, 7 new, 0 updated, 0 unchanged, 0 failed")
    assert first.status == "ok" and first.errors == []
    assert bench.quarantined("city-rss") == []

    posts = bench.store.get_many([f"city-rss:lj-{n}" for n in range(1, 8)])
    assert len(posts) == 7
    road = posts["city-rss:lj-1"]
    assert road.text == "\n".join(site_news.ROAD)  # no menu, sidebar or footer
    assert road.title == "人民路改造进入路面施工"
    assert road.published_at == datetime(2025, 3, 18, 10, 23, tzinfo=SHANGHAI)
    assert (road.kind, road.region) == ("news", "临江区")
    assert road.url == f"{OFFLINE}/news/a/road.html"
    assert posts["city-rss:lj-2"].text == "\n".join(site_news.WATER)  # GBK
    assert posts["city-rss:lj-3"].text == "\n".join(site_news.LABEL)  # says gb2312, is UTF-8
    assert posts["city-rss:lj-4"].text == "摘要4：城区停车收费标准听证会。"  # garbage: the summary
    assert posts["city-rss:lj-5"].text.startswith("滨江路临时交通管制将持续到本月底")
    assert posts["city-rss:lj-6"].text == "\n".join(site_news.SLOW)
    assert posts["city-rss:lj-7"].text == "\n".join(site_news.BUSY)
    found = bench.store.search("水厂扩建").hits
    assert [hit.post.id for hit in found] == ["city-rss:lj-2"]

    second, walk = bench.walk(RSS)
    assert second.line().startswith("city-rss: 0 items, 0 new, 0 updated, 0 unchanged, 0 failed")
    # Incremental: the feed is read again, but no article page is.
    assert walk.fetched == [RSS["feed_url"]]


def test_an_atom_feed_keeps_good_entries_and_quarantines_malformed_ones(bench: Bench) -> None:
    atom = news(OFFLINE, "city-atom", "/news/atom.xml", follow_links=False)
    first, walk = bench.walk(atom)
    assert first.line().startswith("city-atom: 3 items, 3 new, 0 updated, 0 unchanged, 2 failed")
    assert first.status == "partial"
    reasons = {q["raw"]["id"]: q["reason"] for q in bench.quarantined("city-atom")}
    assert reasons["tag:linjiang.gov,2025:103"] == "the entry has no link"
    assert reasons["tag:linjiang.gov,2025:104"].startswith("bad date '2025-13-45T99:00:00+08:00'")
    assert walk.fetched == [atom["feed_url"]]  # follow_links: false

    found = {hit.post.title: hit.post for hit in bench.store.search("", limit=10).hits}
    assert set(found) == {
        "政务服务中心延长周末办事时间",
        "老城区燃气管道更新改造启动",
        "城市书房新增三处",
    }
    # A zone-less time is Beijing time, not UTC as feedparser would read it.
    assert found["政务服务中心延长周末办事时间"].published_at == datetime(
        2025, 3, 18, 10, 23, tzinfo=SHANGHAI
    )
    assert found["城市书房新增三处"].published_at == datetime(2025, 3, 16, 16, 30, tzinfo=SHANGHAI)
    assert (
        found["老城区燃气管道更新改造启动"].text
        == "首批改造涉及十二个小区，施工期间将提前三天张贴停气通知。"
    )

    recorded = bench.quarantined("city-atom")
    second, _ = bench.walk(atom)
    assert second.line().startswith("city-atom: 0 items, 0 new")
    # An old malformed entry was reported on the first run, not again; an undatable one cannot
    # be known to be old, so it is rejected again, but the quarantine holds it once.
    assert second.quarantined == 1
    assert bench.quarantined("city-atom") == recorded


def test_a_body_selector_wins_and_a_missing_page_keeps_the_feed_summary(bench: Bench) -> None:
    summary, walk = bench.walk(
        news(OFFLINE, "city-sel", "/news/sel/feed.xml", body_selector="div.zw p")
    )
    assert summary.line().startswith("city-sel: 2 items, 2 new, 0 updated, 0 unchanged, 0 failed")
    assert summary.status == "partial"  # the 404 is an error of the run, not a lost entry
    assert summary.errors == [f"{OFFLINE}/news/sel/gone.html: HTTP 404, kept the feed's text"]
    assert f"{OFFLINE}/news/sel/gone.html" in walk.fetched
    posts = bench.store.get_many(["city-sel:s-1", "city-sel:s-2"])
    one = posts["city-sel:s-1"]
    assert one.text == "\n".join(site_news.SELECTED)
    # The feed gave no date; the page's byline did.
    assert one.published_at == datetime(2025, 3, 17, 9, 30, tzinfo=SHANGHAI)
    assert posts["city-sel:s-2"].text == "摘要：稿件已删除。"


def test_a_page_robots_txt_forbids_keeps_the_entry_with_its_summary(bench: Bench) -> None:
    block = news(OFFLINE, "city-robots", "/news/private-feed.xml", obey_robots=True)
    with bench.run(block) as context:
        spider = spider_for(context)
        _, requests = results(spider.parse_feed(bench.pages.response(block["feed_url"])))
        assert [r.meta["dont_obey_robotstxt"] for r in requests] == [False, False]
        stored = []
        for request in requests:
            failure = Failure(IgnoreRequest("Forbidden by robots.txt"))
            failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
            items, _ = results(spider.article_failed(failure))
            stored += [context.accept(item) for item in items]
    assert sorted(post.text for post in stored) == [
        "摘要：只有摘要可以收录1。",
        "摘要：只有摘要可以收录2。",
    ]
    assert context.errors == []  # policy, not an error
    assert context.summary is not None and context.summary.status == "ok"


def test_a_feed_that_is_no_feed_is_quarantined(bench: Bench) -> None:
    block = news(OFFLINE, "city-html", "/news/a/garbage.html")
    summary, _ = bench.walk(block)
    assert summary.items_seen == 0 and summary.quarantined == 1
    (record,) = bench.quarantined("city-html")
    assert record["reason"].startswith("cannot read the page: ValueError: not an RSS or Atom feed")


def test_on_scrapy_s_engine_a_429_is_retried_robots_txt_obeyed_and_a_404_survived(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    url = fixture_server.url
    run = uuid.uuid4().hex
    summaries = bench.crawl(
        news(url, "city-rss", f"/news/rss.xml?run={run}", region="临江区"),
        news(url, "city-robots", "/news/private-feed.xml", obey_robots=True),
        news(url, "city-sel", "/news/sel/feed.xml", body_selector="div.zw p"),
    )
    hits = fixture_server.hits

    rss = summaries["city-rss"].line()
    assert rss.startswith("city-rss: 7 items, 7 new, 0 updated, 0 unchanged, 0 failed"), rss
    assert summaries["city-rss"].status == "ok"
    # The busy page answered 429 with Retry-After: 1 and was asked again after that second.
    assert hits["/news/a/busy.html"] == 2
    first, second = fixture_server.times["/news/a/busy.html"]
    assert second - first >= 0.9
    posts = bench.store.get_many(["city-rss:lj-2", "city-rss:lj-6", "city-rss:lj-7"])
    assert posts["city-rss:lj-2"].text == "\n".join(site_news.WATER)  # GBK over HTTP
    assert posts["city-rss:lj-6"].text == "\n".join(site_news.SLOW)  # the slow one, waited for
    assert posts["city-rss:lj-7"].text == "\n".join(site_news.BUSY)

    robots = summaries["city-robots"].line()
    assert robots.startswith("city-robots: 2 items, 2 new, 0 updated, 0 unchanged, 0 failed")
    assert hits["/robots.txt"] >= 1 and hits["/news/private-feed.xml"] == 1
    assert not any(path.startswith("/news/private/") for path in hits)
    assert bench.store.get("city-robots:p-1").text == "摘要：只有摘要可以收录1。"

    sel = summaries["city-sel"]
    assert sel.line().startswith("city-sel: 2 items, 2 new, 0 updated, 0 unchanged, 0 failed")
    assert sel.errors == [f"{url}/news/sel/gone.html: HTTP 404, kept the feed's text"]
    assert hits["/news/sel/gone.html"] == 1  # a 404 is not retried


def test_find_published_reads_meta_tags_and_bylines() -> None:
    meta = '<html><head><meta name="PubDate" content="2025-03-18 10:23"></head><body></body>'
    assert find_published(meta) == "2025-03-18 10:23"
    dated = '<meta name="publishdate" content="2025-03-18"><p>人民网 2025年03月18日08:05</p>'
    assert find_published(f"<html><head>{dated}</head></html>") == "2025-03-18 08:05"
    seconds = '<meta name="pubdate" content="2025-03-18T08:05:09+08:00">'
    assert find_published(f"<html><head>{seconds}</head></html>") == "2025-03-18 08:05:09+08:00"
    byline = "<html><body><p>电话 4009-20-40</p><p>发布日期：2025/3/18</p></body></html>"
    assert find_published(byline) == "2025-03-18"
    assert find_published("<html><body><p>没有日期</p></body></html>") is None


def test_select_text_takes_css_and_xpath() -> None:
    html = '<div id="a"><p>第一段 <b>加粗</b></p><p>第二段</p></div><p>别处</p>'
    assert select_text(html, "#a p") == "第一段 加粗\n第二段"
    assert select_text(html, "//div[@id='a']/p/text()") == "第一段\n第二段"


def test_a_list_page_is_no_article() -> None:
    rows = "".join(
        f'<li class="thread"><a href="/t/{n}">关于小区停车难问题的第{n}条讨论帖子标题</a></li>'
        for n in range(30)
    )
    article = extract_article(f"<html><body><ul>{rows}</ul></body></html>")
    assert article.text == ""
