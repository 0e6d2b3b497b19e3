"""Government message boards: list pages with pagination, then each message's detail page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from core.errors import TimeFormatError
from crawler.normalize import parse_time
from crawler.sources import BoardSelectors, BoardSource
from crawler.spiders.base import SourceSpider, select, select_all


class BoardSpider(SourceSpider):
    """Walks list pages newest first until it reaches messages an earlier run saw."""

    @property
    def board(self) -> BoardSource:
        source = self.context.source
        assert isinstance(source, BoardSource)  # the runner picks the spider by the kind
        return source

    @property
    def selectors(self) -> BoardSelectors:
        selectors = self.board.selectors
        assert selectors is not None  # the runner gives HTML boards, which have them, here
        return selectors

    async def start(self) -> AsyncIterator[Request]:
        start_url = self.board.start_url
        assert start_url is not None  # HTML boards have both start_url and selectors
        yield self.request(start_url, self.parse_list, meta={"page": 1})
        # Messages still waiting for their reply are read again: the reply may be there now.
        for native_id, url in self.context.pending.items():
            yield self.request(url, self.parse_detail, meta={"native_id": native_id})

    def parse_list(self, response: Response) -> Iterator[Any]:
        yield from self.guarded(response, self._list)

    def parse_detail(self, response: Response) -> Iterator[Any]:
        yield from self.guarded(response, self._detail)

    def _list(self, response: Response) -> Iterator[Request]:
        page, selectors = self.page(response), self.selectors
        reached_seen = False
        for node in select_all(page, selectors.item):
            link = select(node, selectors.detail_link)
            if not link:
                continue
            if self.context.seen_before(self._list_time(node)):
                reached_seen = True
                continue
            yield self.request(response.urljoin(link), self.parse_detail)
        number = response.meta.get("page", 1)
        following = select(page, selectors.next_page)
        if not following or reached_seen:
            return
        if number >= self.board.max_pages:
            self.context.error(f"{response.url}: stopped after {number} list pages (max_pages)")
            return
        yield self.request(response.urljoin(following), self.parse_list, meta={"page": number + 1})

    def _list_time(self, node: Selector) -> Any:
        text = select(node, self.selectors.list_date)
        if not text:
            return None
        try:
            return parse_time(text, now=self.context.now)
        except TimeFormatError:
            return None  # the detail page's own time decides; the pipeline checks it

    def _detail(self, response: Response) -> Iterator[dict[str, Any]]:
        page, selectors = self.page(response), self.selectors
        title, body = select(page, selectors.title), select(page, selectors.body)
        if not title and not body:
            self.context.reject(
                response.url, "no title or message found with the configured selectors"
            )
            return
        item: dict[str, Any] = {
            "native_id": response.meta.get("native_id") or self._native_id(response.url),
            "origin": response.url,
            "url": response.url,
            "kind": "board",
            "title": title or "",
            "text": body or "",
            "author": select(page, selectors.author),
            "published_at": select(page, selectors.published_at),
            "region": select(page, selectors.region) or self.board.region,
            "category": select(page, selectors.category),
        }
        reply = select(page, selectors.reply_body)
        if reply:
            item["reply"] = {
                "text": reply,
                "department": select(page, selectors.reply_department),
                "replied_at": select(page, selectors.replied_at),
            }
        yield item

    def _native_id(self, url: str) -> str | None:
        pattern = self.selectors.id_from_url
        match = re.search(pattern, url) if pattern else None
        return match.group(1) if match else None
