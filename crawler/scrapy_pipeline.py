"""The Scrapy item pipeline: hands every item to its crawl's context, which does the rest."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.spiders.base import SourceSpider


class PostPipeline:
    """Each spider carries a `CrawlContext`; items go through `CrawlContext.accept`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostPipeline:
        return cls(crawler)

    def _spider(self) -> SourceSpider:
        spider = self.crawler.spider
        assert isinstance(spider, SourceSpider)  # every spider of ours carries its context
        return spider

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        post = self._spider().context.accept(dict(item))
        if post is None:
            # One line per item would flood the terminal on a large bad export; the quarantine
            # file holds each one with its reason, and the run's summary their count.
            raise DropItem("quarantined", log_level="DEBUG")
        return item

    def close_spider(self) -> None:
        self._spider().context.writer.flush()
