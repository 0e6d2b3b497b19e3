"""Per-host politeness: every source's delay and concurrency cap for the hosts it crawls."""

from __future__ import annotations

from pathlib import Path

from crawler.scrapy_settings import download_slots, scrapy_settings
from tests.crawler.blocks import board, hotline, news, source
from tests.crawler.harness import bench_settings


def test_sources_on_one_host_share_a_slot_with_the_stricter_settings() -> None:
    slots = download_slots(
        [
            source(news("http://news.city.test", "a", "/rss.xml", download_delay=2)),
            source(board("http://news.city.test:8080", "b", max_concurrency=1)),
            source(board("https://bbs.city.test", "c", download_delay=0.5, max_concurrency=4)),
            source(hotline("d", url="https://bbs.city.test/export.csv", max_concurrency=8)),
            source(hotline("e")),  # no URL: no slot
        ]
    )
    assert slots == {
        "news.city.test": {"delay": 2, "concurrency": 1},
        "bbs.city.test": {"delay": 0.5, "concurrency": 4},
    }


def test_the_process_settings_take_the_sources_bounds(tmp_path: Path) -> None:
    sources = [
        source(news("http://a.city.test", "a", "/rss.xml", download_delay=1.5, retries=4)),
        source(board("http://b.city.test", "b", download_delay=0.25, timeout_seconds=45)),
    ]
    options = scrapy_settings(bench_settings(tmp_path), sources)
    assert options["AUTOTHROTTLE_START_DELAY"] == 0.25
    assert (options["RETRY_TIMES"], options["DOWNLOAD_TIMEOUT"]) == (4, 45)
    assert 429 in options["RETRY_HTTP_CODES"] and options["ROBOTSTXT_OBEY"] is True
    assert set(options["DOWNLOAD_SLOTS"]) == {"a.city.test", "b.city.test"}
