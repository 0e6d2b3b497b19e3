"""The news spider on Scrapy's real engine against the local fixture portal's feeds."""

from __future__ import annotations

import uuid
from datetime import datetime

from core.timezone import SHANGHAI
from crawler.extract import extract_article, find_published, select_text
from tests.crawler import site_news


def news(product, name: str, path: str, **extra):  # type: ignore[no-untyped-def]
    return {"name": name, "kind": "news", "feed_url": product.url(path), **extra}


def crawl(product, name: str):  # type: ignore[no-untyped-def]
    result = product.yuqing("crawl", name)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_rss_articles_are_fetched_decoded_and_extracted_and_a_second_run_adds_nothing(
    product,
) -> None:
    run = uuid.uuid4().hex
    product.sources(news(product, "city-rss", f"/news/rss.xml?run={run}", region="临江区"))
    first = crawl(product, "city-rss")
    # Seven entries, seven posts: the garbage page and the truncated one fall back or give
    # what they have, the slow one is waited for, the 429 one is retried after Retry-After.
    assert "city-rss: 7 items, 7 new, 0 updated, 0 unchanged, 0 failed" in first.stdout
    assert "[ok]" in first.stdout
    assert product.quarantined("city-rss") == []
    assert product.server.hits["/news/a/busy.html"] == 2

    posts = product.store().get_many([f"city-rss:lj-{n}" for n in range(1, 8)])
    assert len(posts) == 7
    road = posts["city-rss:lj-1"]
    assert road.text == "\n".join(site_news.ROAD)  # no menu, sidebar or footer
    assert road.title == "人民路改造进入路面施工"
    assert road.published_at == datetime(2025, 3, 18, 10, 23, tzinfo=SHANGHAI)
    assert (road.kind, road.region) == ("news", "临江区")
    assert road.url == product.url("/news/a/road.html")
    assert posts["city-rss:lj-2"].text == "\n".join(site_news.WATER)  # GBK
    assert posts["city-rss:lj-3"].text == "\n".join(site_news.LABEL)  # says gb2312, is UTF-8
    assert posts["city-rss:lj-4"].text == "摘要4：城区停车收费标准听证会。"  # garbage: the summary
    assert posts["city-rss:lj-5"].text.startswith("滨江路临时交通管制将持续到本月底")
    assert posts["city-rss:lj-6"].text == "\n".join(site_news.SLOW)
    assert posts["city-rss:lj-7"].text == "\n".join(site_news.BUSY)
    found = product.store().search("水厂扩建").hits
    assert [hit.post.id for hit in found] == ["city-rss:lj-2"]

    hits_before = dict(product.server.hits)
    second = crawl(product, "city-rss")
    assert "city-rss: 0 items, 0 new, 0 updated, 0 unchanged, 0 failed" in second.stdout
    # Incremental: the feed is read again, but no article page is.
    assert product.server.hits["/news/rss.xml"] == hits_before["/news/rss.xml"] + 1
    assert product.server.hits["/news/a/road.html"] == hits_before["/news/a/road.html"]


def test_an_atom_feed_keeps_good_entries_and_quarantines_malformed_ones(product) -> None:
    product.sources(news(product, "city-atom", "/news/atom.xml", follow_links=False))
    first = crawl(product, "city-atom")
    assert "city-atom: 3 items, 3 new, 0 updated, 0 unchanged, 2 failed" in first.stdout
    assert "[partial]" in first.stdout
    reasons = {q["raw"]["id"]: q["reason"] for q in product.quarantined("city-atom")}
    assert reasons["tag:linjiang.gov,2025:103"] == "the entry has no link"
    assert reasons["tag:linjiang.gov,2025:104"].startswith("bad date '2025-13-45T99:00:00+08:00'")
    assert not any(path.startswith("/news/b/") for path in product.server.hits)

    found = {hit.post.title: hit.post for hit in product.store().search("", limit=10).hits}
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

    second = crawl(product, "city-atom")
    assert "city-atom: 0 items, 0 new" in second.stdout


def test_robots_txt_keeps_article_pages_unfetched_but_the_entries_are_stored(product) -> None:
    product.sources(news(product, "city-robots", "/news/private-feed.xml", obey_robots=True))
    result = crawl(product, "city-robots")
    assert "city-robots: 2 items, 2 new, 0 updated, 0 unchanged, 0 failed" in result.stdout
    assert product.server.hits["/robots.txt"] >= 1
    assert product.server.hits["/news/private-feed.xml"] == 1
    assert not any(path.startswith("/news/private/") for path in product.server.hits)
    posts = product.store().get_many(["city-robots:p-1", "city-robots:p-2"])
    assert posts["city-robots:p-1"].text == "摘要：只有摘要可以收录1。"


def test_a_body_selector_wins_and_a_missing_page_keeps_the_feed_summary(product) -> None:
    product.sources(news(product, "city-sel", "/news/sel/feed.xml", body_selector="div.zw p"))
    result = crawl(product, "city-sel")
    assert "city-sel: 2 items, 2 new, 0 updated, 0 unchanged, 0 failed" in result.stdout
    assert "[partial]" in result.stdout  # the 404 is an error of the run, not a lost entry
    assert "/news/sel/gone.html: HTTP 404, kept the feed's text" in result.stderr
    posts = product.store().get_many(["city-sel:s-1", "city-sel:s-2"])
    one = posts["city-sel:s-1"]
    assert one.text == "\n".join(site_news.SELECTED)
    # The feed gave no date; the page's byline did.
    assert one.published_at == datetime(2025, 3, 17, 9, 30, tzinfo=SHANGHAI)
    assert posts["city-sel:s-2"].text == "摘要：稿件已删除。"


def test_find_published_reads_meta_tags_and_bylines() -> None:
    meta = '<html><head><meta name="PubDate" content="2025-03-18 10:23"></head><body></body>'
    assert find_published(meta) == "2025-03-18 10:23:00"
    dated = '<meta name="publishdate" content="2025-03-18"><p>人民网 2025年03月18日08:05</p>'
    assert find_published(f"<html><head>{dated}</head></html>") == "2025-03-18 08:05:00"
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
