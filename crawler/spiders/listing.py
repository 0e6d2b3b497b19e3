"""JSON APIs that list items page by page: microblog timelines and searches, and boards that
serve JSON. Each item is mapped to a post by the source's field paths (`listing_items`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from core.errors import ItemRejected
from crawler.pipeline import stable_id
from crawler.source_options import JsonListing
from crawler.sources import listing_of
from crawler.spiders.base import SourceSpider
from crawler.spiders.listing_items import (
    ItemMapper,
    dig,
    is_cut,
    latest,
    weibo_markup,
    without_more_link,
)


class ListingSpider(SourceSpider):
    """Pages newest first, by page number or cursor, until it reaches items an earlier run saw
    that are older than the source's `refresh_hours`; known items younger than that are handed
    out again, so that their likes, reposts and comments are brought up to date. A text the
    list cuts short is completed from the `long_text` endpoint before its item is handed out.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mapper = ItemMapper(self.context.source, self.listing, self.context.now)
        # A reposted original may also stand in the list itself: hand it out once.
        self._handed_out: set[str] = set()

    @property
    def listing(self) -> JsonListing:
        found = listing_of(self.context.source)
        assert found is not None  # the runner picks this spider for sources read from JSON
        return found

    async def start(self) -> AsyncIterator[Request]:
        pagination = self.listing.pagination
        page = {pagination.param: pagination.start} if pagination.type == "page" else None
        meta = {"page": 1, "number": pagination.start}
        yield self.request(self.listing.api_url, self.parse, meta=meta, page=page)

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        yield from self.guarded(response, self._page)

    def _page(self, response: Response) -> Iterator[Any]:
        origin = _origin(response)
        try:
            data = json.loads(self.text_of(response))
        except json.JSONDecodeError as exc:
            self.context.reject(origin, f"not JSON: {exc.msg} at position {exc.pos}")
            return
        entries = dig(data, self.listing.items_path)
        if not isinstance(entries, list):
            self.context.reject(origin, f"no list at {self.listing.items_path!r}")
            return
        # Whether the last dated entry is known and out of the refresh window: the list goes
        # newest first, so the next page holds nothing new. (The last, not the first: a pinned
        # post stands first whatever its age.)
        done = False
        for entry in entries:
            if not self._wanted(entry):
                continue
            try:
                handed, old = self._entry(entry, origin)
            except Exception as exc:  # one item that cannot be mapped fails alone
                self.context.reject_item(origin, _reason(exc), entry)
                continue
            done = old
            yield from handed
        following = None if done else self._next(response, data, entries)
        if following is not None:
            yield following

    def _wanted(self, entry: Any) -> bool:
        return all(dig(entry, path) == value for path, value in self.listing.item_filter.items())

    def _entry(self, entry: Any, origin: str) -> tuple[list[Any], bool]:
        """What one list entry hands out (items, or requests for their full text), and
        whether it is a known item older than the refresh window."""
        path = self.listing.item_path
        item = dig(entry, path) if path else entry
        if not isinstance(item, dict):
            raise ItemRejected(f"no object at {path!r}" if path else "the entry is no object")
        raw = self.mapper.post(item, entry, origin)
        if self._old(raw):
            return [], True
        handed: list[Any] = []
        original = self.mapper.value("repost_of", item, entry)
        if isinstance(original, dict):
            try:
                first = self.mapper.post(original, None, origin)
                raw["is_repost_of"] = stable_id(
                    self.mapper.link_source("repost_of"), first["native_id"], first.get("url")
                )
            except Exception as exc:  # the repost stands without its link
                self.context.reject_item(origin, f"repost_of: {_reason(exc)}", original)
            else:
                handed += self._once(first, original, None)
        handed += self._once(raw, item, entry)
        return handed, False

    def _old(self, raw: dict[str, Any]) -> bool:
        """Known from an earlier run, and older than the refresh window."""
        newest = latest(raw["published_at"], raw.get("published_precision"))
        if not self.context.seen_before(newest, raw["native_id"]):
            return False
        window = timedelta(hours=self.listing.refresh_hours)
        return window <= timedelta(0) or newest < self.context.now - window

    def _once(self, raw: dict[str, Any], item: dict[str, Any], card: Any) -> list[Any]:
        key = raw["native_id"]
        if key is not None and key in self._handed_out:
            return []
        if key is not None:
            self._handed_out.add(key)
        url = self.mapper.long_text_url(item, card)
        if url is None:
            return [_marked(raw)]
        follow = self.request(
            url, self.parse_long_text, meta={"item": raw}, errback=self.long_text_failed
        )
        return [follow]

    def parse_long_text(self, response: Response) -> Iterator[dict[str, Any]]:
        """The full text from the detail reply; without one, the list's text, marked cut."""
        self.stop_at_wall(response)
        raw = dict(response.meta["item"])
        rule = self.listing.long_text
        assert rule is not None  # only followed when configured
        try:
            full = dig(json.loads(self.text_of(response)), rule.text_path)
        except ValueError:
            full = None
        if isinstance(full, str) and full.strip():
            raw["text"] = weibo_markup(full)
        else:
            self.context.error(f"{response.url}: no text at {rule.text_path!r}; kept the list's")
            raw["text_truncated"] = True
        yield _marked(raw)

    def long_text_failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        """The detail cannot be had: the item keeps the list's text, marked cut."""
        self.failed(failure)
        request: Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy
        raw = dict(request.meta["item"])
        raw["text_truncated"] = True
        yield _marked(raw)

    def _next(self, response: Response, data: Any, entries: list[Any]) -> Request | None:
        pagination = self.listing.pagination
        page = response.meta.get("page", 1)
        if not entries:
            return None
        if pagination.has_more_path and not dig(data, pagination.has_more_path):
            return None
        if page >= self.context.source.max_pages:
            self.context.error(f"{_origin(response)}: stopped after {page} pages (max_pages)")
            return None
        value: Any
        if pagination.type == "page":
            number = response.meta.get("number", pagination.start) + 1
            value = number
        else:
            cursor = dig(data, pagination.next_cursor_path)
            if cursor in (None, "", 0, "0"):
                return None
            number, value = 0, cursor
        meta = {"page": page + 1, "number": number}
        url = response.request.url if response.request is not None else response.url
        return self.request(url, self.parse, meta=meta, page={pagination.param: value})


def _marked(raw: dict[str, Any]) -> dict[str, Any]:
    """The item with its text's "全文" link dropped and `text_truncated` set when cut."""
    if is_cut(raw["text"]):
        raw["text"] = without_more_link(raw["text"])
        raw["text_truncated"] = True
    return raw


def _origin(response: Response) -> str:
    """The URL, and for a POST the page it asked for (its body says which)."""
    request = response.request
    if request is None or request.method == "GET" or not request.body:
        return response.url
    return f"{response.url} (POST {request.body.decode('utf-8', 'replace')[:200]})"


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ItemRejected) else f"{type(exc).__name__}: {exc}"
