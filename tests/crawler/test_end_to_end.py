"""The `yuqing crawl` and `yuqing import` commands, run as a user runs them.

A crawl is a `yuqing` process, as in production: Scrapy on its Twisted reactor (which starts
once per process), the tracker database keeping the sources' marks between runs, the analyzer
on every new post. An import starts no reactor, so it runs in this process, through the same
command. What each spider does with each page is tested in-process in the other modules;
these tests check the product around them.
"""

from __future__ import annotations

import re
import uuid

from core.errors import ExportError
from tests.crawler import site_board, site_hotline, site_news
from tests.crawler.blocks import board, hotline, news, search, timeline
from tests.crawler.product import Product
from tests.crawler.server import FixtureServer
from tests.crawler.site_board import when


def summary_lines(stdout: str) -> dict[str, str]:
    """The summary line of each source, by source name."""
    return {line.split(":", 1)[0]: line for line in stdout.splitlines() if ": " in line}


def test_yuqing_crawl_runs_every_kind_of_source_and_a_second_run_goes_on_from_the_first(
    product: Product,
) -> None:
    url = product.url
    product.sources(
        board(url),
        news(url, "city-rss", f"/news/rss.xml?run={uuid.uuid4().hex}", region="临江区"),
        news(url, "city-robots", "/news/private-feed.xml", obey_robots=True),
        news(url, "city-sel", "/news/sel/feed.xml", body_selector="div.zw p"),
        timeline(url),
        hotline(url=f"{url}/hotline/export.csv"),
    )
    names = ["board", "city-rss", "city-robots", "city-sel", "weibo", "hotline"]
    first = product.yuqing("crawl", *names)
    # Items failed (a broken message, bad rows of the export): exit status 1.
    assert first.returncode == 1, first.stdout + first.stderr
    lines = summary_lines(first.stdout)
    assert set(lines) == set(names), first.stdout
    assert lines["board"].startswith("board: 14 items, 14 new, 0 updated, 0 unchanged, 1 failed")
    assert lines["board"].endswith("[partial]")
    assert lines["city-rss"].startswith("city-rss: 7 items, 7 new, 0 updated, 0 unchanged")
    assert lines["city-rss"].endswith("[ok]")
    assert lines["city-robots"].startswith("city-robots: 2 items, 2 new")
    assert lines["city-sel"].startswith("city-sel: 2 items, 2 new, 0 updated, 0 unchanged")
    assert lines["city-sel"].endswith("[partial]")
    # A run's errors follow its summary, on stderr.
    assert f"  {url}/news/sel/gone.html: HTTP 404, kept the feed's text" in first.stderr
    assert lines["weibo"].startswith("weibo: 26 items, 26 new, 0 updated, 0 unchanged, 0 failed")
    assert lines["hotline"].startswith("hotline: 5 items, 5 new, 0 updated, 0 unchanged, 6 failed")
    hits = product.server.hits
    assert hits["/board/list"] == 3 and hits["/mb/timeline"] == 3
    # Scrapy's own engine, on its reactor: the 429s are retried, robots.txt is obeyed.
    assert hits["/board/thread/5.html"] == 2 and hits["/news/a/busy.html"] == 2
    assert hits["/robots.txt"] >= 1
    assert not any(path.startswith("/news/private/") for path in hits)
    quarantine = product.root / "quarantine"
    assert f"  1 rejected items, reasons in {quarantine / 'board.jsonl'}" in first.stderr
    assert f"  6 rejected items, reasons in {quarantine / 'hotline.jsonl'}" in first.stderr
    (broken,) = product.quarantined("board")
    assert broken["origin"] == f"{url}/board/thread/9.html"
    assert "no title or message" in broken["reason"]

    store = product.store()
    posts = store.get_many(["board:1", "city-rss:lj-2", "weibo:5020", "hotline:HL202503180001"])
    assert len(posts) == 4
    one = posts["board:1"]
    assert one.text == "幸福路小区停水第1天，联系电话*******5678。\n请尽快恢复供水。"
    assert one.published_at == when(1)
    assert posts["city-rss:lj-2"].text == "\n".join(site_news.WATER)
    assert posts["weibo:5020"].is_repost_of == "weibo:4000"
    assert "*******5678" in posts["hotline:HL202503180001"].text
    # The analyzer ran on every new post.
    for post in posts.values():
        assert 0 <= post.sentiment <= 1 and post.keywords, post.id

    # Between the runs, the department answers message 3.
    site_board.STATE["reply_to_3"] = True
    before = dict(hits)
    second = product.yuqing("crawl", *names)
    assert second.returncode == 1, second.stdout + second.stderr  # the export's bad rows again
    lines = summary_lines(second.stdout)
    # Messages waiting for a reply are read again; only 3 has one now.
    assert " 0 new, 1 updated" in lines["board"], lines["board"]
    assert hits["/board/list"] == before["/board/list"] + 1  # page 1 only
    assert lines["city-rss"].startswith("city-rss: 0 items, 0 new, 0 updated, 0 unchanged")
    assert hits["/news/rss.xml"] == before["/news/rss.xml"] + 1
    assert hits["/news/a/road.html"] == before["/news/a/road.html"]  # no article again
    assert lines["weibo"].startswith("weibo: 0 items, 0 new")
    assert hits["/mb/timeline"] == before["/mb/timeline"] + 1  # the first page only
    assert lines["hotline"].startswith("hotline: 5 items, 0 new, 0 updated, 5 unchanged")
    reply = product.store().get("board:3").reply
    assert reply is not None and reply.department == "市水务局"


def test_yuqing_import_lands_an_export_and_refuses_an_unreadable_one(product: Product) -> None:
    product.sources(hotline(), hotline("hotline-utf8", encoding="utf-8"))
    data, expected = site_hotline.csv_export("gbk")
    export = product.root / "export.csv"
    export.write_bytes(data)

    result = product.invoke("import", str(export), "--source", "hotline")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("hotline: 5 items, 5 new, 0 updated, 0 unchanged, 6 failed"), (
        result.stdout
    )
    assert result.stdout.rstrip().endswith("[partial]")
    quarantine = product.root / "quarantine" / "hotline.jsonl"
    assert result.stderr.strip() == f"6 rejected rows, reasons in {quarantine}"
    origins = {q["origin"] for q in product.quarantined("hotline")}
    assert origins == {f"export.csv:{line}" for line in expected}
    one = product.store().get("hotline:HL202503180001")
    assert "13912345678" not in one.text and "*******5678" in one.text
    # The analyzer ran on every new post.
    assert 0 <= one.sentiment <= 1 and one.keywords

    refused = product.invoke("import", str(export), "--source", "hotline-utf8")
    assert isinstance(refused.exception, ExportError), refused.output
    message = str(refused.exception)
    assert message.startswith("export.csv is not utf-8 text as source hotline-utf8 says")
    assert "looks like gb18030" in message
    assert product.store().count() == 5


# What the sources carry: the callers' numbers and their words.
PERSONAL = ("13912345678", "110101199003071234", "6222 0212 3456 7890 123", "87654321")
ITEM_TEXT = ("幸福路小区停水", "夜间施工噪音扰民", "路灯不亮", "HL2025031899", "刺鼻异味")


def test_yuqing_crawl_logs_no_item_and_names_the_quarantine_of_rejected_ones(
    product: Product, fixture_server: FixtureServer
) -> None:
    (product.root / "debug").mkdir()
    quiet, loud = product, Product(product.root / "debug", fixture_server)
    served = (hotline(url=f"{product.url}/hotline/export.csv"), search(product.url))
    quiet.sources(board(product.url), *served)
    loud.sources(*served)

    warned = quiet.yuqing("crawl", "board", "hotline", "search", YUQING_LOG_LEVEL="WARNING")
    debugged = loud.yuqing("crawl", "hotline", "search", YUQING_LOG_LEVEL="DEBUG")

    for each, done in ((quiet, warned), (loud, debugged)):
        assert done.returncode == 1, done.stdout + done.stderr
        quarantine = each.root / "quarantine"
        # A row the export's reader refused, and an item the pipeline refused (a bad time).
        assert f"  6 rejected items, reasons in {quarantine / 'hotline.jsonl'}" in done.stderr
        assert f"  1 rejected items, reasons in {quarantine / 'search.jsonl'}" in done.stderr
        said = done.stdout + done.stderr
        assert [text for text in PERSONAL + ITEM_TEXT if text in said] == []
        # Every good item still reached the store, masked.
        assert "*******5678" in each.store().get("hotline:HL202503180001").text
    where = quiet.root / "quarantine" / "board.jsonl"
    assert f"  1 rejected items, reasons in {where}" in warned.stderr
    # Scrapy follows the product's level: nothing below WARNING; at DEBUG, its own lines, and
    # one line per item saying where it came from, never the item.
    assert re.findall(r" (?:DEBUG|INFO) \S+:", warned.stderr) == []
    assert re.search(r" DEBUG scrapy\.\S+: Crawled \(200\)", debugged.stderr)
    scraped = " DEBUG scrapy.core.scraper: Scraped an item from "
    assert debugged.stderr.count(scraped) == 5 + 26
    # The spider quarantines the item whose time it cannot read: one line, and no item.
    rejected = f" DEBUG crawler.pipeline: quarantined {product.url}/mb/search"
    assert debugged.stderr.count(rejected) == 1
