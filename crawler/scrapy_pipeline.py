"""The Scrapy item pipeline: hands every item to its crawl's context, which does the rest."""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.exceptions import DropItem


class PostPipeline:
    """Each spider carries a `CrawlContext`; items go through `CrawlContext.accept`."""

    def process_item(self, item: dict[str, Any], spider: Spider) -> dict[str, Any]:
        post = spider.context.accept(dict(item))  # type: ignore[attr-defined]
        if post is None:
            raise DropItem("quarantined")
        return item

    def close_spider(self, spider: Spider) -> None:
        spider.context.writer.flush()  # type: ignore[attr-defined]
