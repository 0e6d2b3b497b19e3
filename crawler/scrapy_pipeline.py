"""The Scrapy item pipeline: hands every item to its crawl's context, which does the rest."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem


class PostPipeline:
    """Each spider carries a `CrawlContext`; items go through `CrawlContext.accept`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        post = self.crawler.spider.context.accept(dict(item))  # type: ignore[union-attr]
        if post is None:
            raise DropItem("quarantined")
        return item

    def close_spider(self) -> None:
        self.crawler.spider.context.writer.flush()  # type: ignore[union-attr]
