"""Weibo-style JSON timelines and searches, mapped to posts by the source's field paths."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from core.errors import TimeFormatError
from crawler.normalize import parse_time
from crawler.pipeline import stable_id
from crawler.sources import MicroblogSource
from crawler.spiders.base import SourceSpider

_COUNT = re.compile(r"^\s*([\d.]+)\s*(万|亿|w|W|k|K)?\+?\s*$")
_SCALE = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1000, "K": 1000}


class MicroblogSpider(SourceSpider):
    """Pages a JSON API by page number or cursor, newest first, until it reaches seen posts."""

    @property
    def feed(self) -> MicroblogSource:
        source = self.context.source
        assert isinstance(source, MicroblogSource)  # the runner picks the spider by the kind
        return source

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A reposted original may also stand in the timeline itself: hand it out once.
        self._handed_out: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        pagination = self.feed.pagination
        url = self.feed.api_url
        if pagination.type == "page":
            url = add_or_replace_parameter(url, pagination.param, str(pagination.start))
        yield self.request(url, self.parse, meta={"page": 1, "number": pagination.start})

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        yield from self.guarded(response, self._page)

    def _page(self, response: Response) -> Iterator[Any]:
        try:
            data = json.loads(self.text_of(response))
        except json.JSONDecodeError as exc:
            self.context.reject(response.url, f"not JSON: {exc.msg} at position {exc.pos}")
            return
        statuses = dig(data, self.feed.items_path)
        if not isinstance(statuses, list):
            self.context.reject(response.url, f"no list at {self.feed.items_path!r}")
            return
        reached_seen = False
        for entry in statuses:
            status = dig(entry, self.feed.item_path) if self.feed.item_path else entry
            if not isinstance(status, dict):
                self.context.reject(response.url, "a status that is not an object", entry)
                continue
            item = self._item(status, response.url)
            parent = dig(status, self.feed.fields.get("reply_to"))
            if parent is not None and str(parent).strip():
                item["reply_to"] = stable_id(self.feed.name, parent, None)
            if self.context.seen_before(
                _time_or_none(item["published_at"], self.context.now), item["native_id"]
            ):
                reached_seen = True
                continue
            original = dig(status, self.feed.fields.get("repost_of"))
            if isinstance(original, dict):
                first = self._item(original, response.url)
                item["is_repost_of"] = stable_id(
                    self.feed.name, first["native_id"], first.get("url")
                )
                yield from self._once(first)
            yield from self._once(item)
        following = self._next(response, data, statuses)
        if following is not None and not reached_seen:
            yield following

    def _once(self, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
        key = item["native_id"]
        if key is None or key not in self._handed_out:
            if key is not None:
                self._handed_out.add(key)
            yield item

    def _item(self, status: dict[str, Any], origin: str) -> dict[str, Any]:
        fields = self.feed.fields
        native_id = dig(status, fields.get("id"))
        return {
            "native_id": str(native_id) if native_id is not None else None,
            "origin": origin,
            "kind": "microblog",
            "url": dig(status, fields.get("url")),
            "title": "",
            "text": dig(status, fields.get("text")) or "",
            "author": _str_or_none(dig(status, fields.get("author"))),
            "author_verified": _bool_or_none(dig(status, fields.get("author_verified"))),
            "published_at": dig(status, fields.get("published_at")),
            "region": _region(dig(status, fields.get("region"))) or self.feed.region,
            "engagement": {
                "reposts": count(dig(status, fields.get("reposts"))),
                "comments": count(dig(status, fields.get("comments"))),
                "likes": count(dig(status, fields.get("likes"))),
            },
        }

    def _next(self, response: Response, data: Any, statuses: list[Any]) -> Request | None:
        pagination = self.feed.pagination
        page = response.meta.get("page", 1)
        if not statuses:
            return None
        if pagination.has_more_path and not dig(data, pagination.has_more_path):
            return None
        if page >= self.feed.max_pages:
            self.context.error(f"{response.url}: stopped after {page} pages (max_pages)")
            return None
        if pagination.type == "page":
            number = response.meta.get("number", pagination.start) + 1
            value = str(number)
        else:
            cursor = dig(data, pagination.next_cursor_path)
            if cursor in (None, "", 0, "0"):
                return None
            number, value = 0, str(cursor)
        url = add_or_replace_parameter(response.url, pagination.param, value)
        return self.request(url, self.parse, meta={"page": page + 1, "number": number})


def dig(data: Any, path: str | None) -> Any:
    """The value at a dotted path (``data.statuses``, ``user.screen_name``), or None."""
    if not path:
        return None
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def count(value: Any) -> int:
    """Engagement counts as sites show them: 12, "12", "1.2万", "3k+", "" (none)."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return max(int(value), 0)
    match = _COUNT.match(str(value))
    if not match:
        return 0
    return int(float(match.group(1)) * _SCALE.get(match.group(2) or "", 1))


def _time_or_none(value: Any, now: Any) -> Any:
    try:
        return parse_time(value, now=now) if value is not None else None
    except TimeFormatError:
        return None  # the pipeline rejects the item with the reason


def _region(value: Any) -> str | None:
    """Weibo labels the poster's location "发布于 青山区"; the region is what follows."""
    text = _str_or_none(value)
    return text.removeprefix("发布于").strip() or None if text else None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _bool_or_none(value: Any) -> bool | None:
    return bool(value) if value is not None else None
