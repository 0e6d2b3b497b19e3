"""News by configuration alone, on Scrapy's engine: real feeds as their sites serve them
(tests/fixtures/real/feeds), and an article read across its pages with the page's exact time
preferred over the feed's bare date."""

from __future__ import annotations

from datetime import datetime

from core.timezone import SHANGHAI
from crawler.pipeline import stable_id
from tests.crawler import site_real_news
from tests.crawler.blocks import news
from tests.crawler.harness import Bench
from tests.crawler.server import FixtureServer


def test_real_rss_and_atom_feeds_are_read_field_by_field(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    url = fixture_server.url
    # The entries link to the sites themselves: tests reach nothing but 127.0.0.1, so the
    # feeds' own text is the post's.
    summaries = bench.crawl(
        news(url, "meituan", "/real/feeds/meituan.xml", follow_links=False),
        news(url, "v2ex", "/real/feeds/v2ex.xml", follow_links=False),
    )
    assert summaries["meituan"].line().startswith("meituan: 3 items, 3 new, 0 updated")
    assert summaries["v2ex"].line().startswith("v2ex: 3 items, 3 new, 0 updated")

    link = "https://tech.meituan.com/2025/11/17/longcat-uno-bench.html"
    post = bench.store.get(stable_id("meituan", link, link))
    assert post is not None
    assert post.title == "美团 LongCat 团队发布全模态一站式评测基准 UNO-Bench"
    assert post.url == link
    assert post.author == "美团技术团队"
    assert post.text.startswith("美团 LongCat 团队")
    # "Mon, 17 Nov 2025 00:00:00 +0000": the feed knows only the day.
    assert post.published_at == datetime(2025, 11, 17, 8, 0, tzinfo=SHANGHAI)
    assert post.published_precision == "day"

    topic = bench.store.get(stable_id("v2ex", "tag:www.v2ex.com,2025-12-01:/t/1176091", None))
    assert topic is not None
    assert topic.title == "[问与答] 个人首创的一种弱电箱+电视柜装修方法，已经落地，优缺点明显"
    assert topic.url == "https://www.v2ex.com/t/1176091#reply2"
    assert topic.author == "yitwotre"
    # <published> wins over an <updated> that is earlier than it.
    assert topic.published_at == datetime(2025, 12, 1, 11, 52, 30, tzinfo=SHANGHAI)
    assert topic.published_precision == "second"


def paged(url: str, **extra: object) -> dict[str, object]:
    """The paged article's feed, its pages followed by their 下一页 link."""
    feed = f"/real/paged/feed.xml?base={url}"
    return news(url, "paged", feed, next_page="div.zdfy a.next::attr(href)", **extra)


def test_an_article_in_pages_is_joined_and_the_page_s_exact_time_beats_the_feed_s_date(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    summary = bench.crawl(paged(fixture_server.url))["paged"]
    assert summary.status == "ok", summary.errors
    (post,) = bench.store.search(limit=5).hits
    article = post.post
    assert article.title == site_real_news.PAGED_TITLE
    assert article.text == "\n".join(p for page in site_real_news.PARAGRAPHS for p in page)
    # The feed says 2019-06-16 (a day); the page's byline says 2019-06-15 08:18.
    assert article.published_at == datetime(2019, 6, 15, 8, 18, tzinfo=SHANGHAI)
    assert article.published_precision == "minute"
    hits = fixture_server.hits
    assert [hits[f"/real/paged/{name}"] for name in ("article.html", "article-2.html")] == [1, 1]
    assert hits["/real/paged/article-3.html"] == 1


def test_an_article_s_pages_are_bounded(bench: Bench, fixture_server: FixtureServer) -> None:
    url = fixture_server.url
    summary = bench.crawl(paged(url, max_article_pages=2))["paged"]
    assert summary.errors == [
        f"{url}/real/paged/article.html: stopped after 2 pages (max_article_pages)"
    ]
    (hit,) = bench.store.search(limit=5).hits
    assert hit.post.text == "\n".join(p for page in site_real_news.PARAGRAPHS[:2] for p in page)
    assert "/real/paged/article-3.html" not in fixture_server.hits
