"""The news spider: RSS 2.0 and Atom feeds, and the article pages their entries link to."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from core.errors import ItemRejected, TimeFormatError
from crawler.extract import Article, extract_article
from crawler.normalize import decode_body, parse_time
from crawler.sources import NewsSource
from crawler.spiders.base import SourceSpider

log = logging.getLogger(__name__)

_NUMERIC_DATE = re.compile(r"^\s*\d{4}\s*[-/.年]")


class NewsSpider(SourceSpider):
    """Reads one feed; with ``follow_links`` the article page supplies the text."""

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.request(self.source.feed_url, self.parse_feed)

    @property
    def source(self) -> NewsSource:
        source = self.context.source
        assert isinstance(source, NewsSource)  # the runner picks the spider by the kind
        return source

    def parse_feed(self, response: Response) -> Iterator[Any]:
        yield from self.guarded(response, self._read_feed)

    def _read_feed(self, response: Response) -> Iterator[Any]:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        feed = feedparser.parse(response.body, response_headers={"content-type": content_type})
        if not feed.entries and feed.bozo:
            raise ValueError(f"not an RSS or Atom feed: {feed.get('bozo_exception')}")
        items = []
        for entry in feed.entries:
            item, problem = _entry_item(entry, response.url, self.source.follow_links)
            # An old entry is skipped even when malformed: it was reported on an earlier run.
            if self.context.seen_before(item["published_at"], item["native_id"]):
                continue
            if problem:
                self.context.reject(item["origin"], problem, _entry_raw(entry))
                continue
            items.append({**item, "region": self.source.region})
        items.sort(key=_newest_first)
        for item in items:
            if self.source.follow_links:
                yield self._article_request(item)
            else:
                yield from self._finish(item, Article())

    def _article_request(self, item: dict[str, Any]) -> scrapy.Request:
        # Two entries may share a page; each must still come back to be stored.
        return self.request(
            item["url"],
            self.parse_article,
            meta={"item": item},
            errback=self.article_failed,
            dont_filter=True,
        )

    def parse_article(self, response: Response) -> Iterator[Any]:
        item = dict(response.meta["item"])
        try:
            article = self._read_article(response)
        except Exception as exc:  # noqa: BLE001 - a page we cannot read keeps the feed's text
            log.warning("cannot extract %s, keeping the feed text: %s", response.url, exc)
            article = Article()
        yield from self._finish(item, article)

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        """The page is gone or forbidden: the entry is still stored, with the feed's text."""
        # Scrapy sets the request on the failures it hands to an errback.
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, HttpError):
            status = failure.value.response.status
            self.context.error(f"{request.url}: HTTP {status}, kept the feed's text")
        elif isinstance(failure.value, IgnoreRequest):  # robots.txt forbids it: policy, not error
            log.info("not fetched: %s", request.url)
        else:
            self.failed(failure)
        item = request.meta.get("item")
        if item is not None:
            yield from self._finish(dict(item), Article())

    def _read_article(self, response: Response) -> Article:
        html = decode_body(response.body, _declared_encoding(response))
        return extract_article(html, response.url, body_selector=self.source.body_selector)

    def _finish(self, item: dict[str, Any], article: Article) -> Iterator[dict[str, Any]]:
        """The feed's title and time win; the page fills what the entry lacks."""
        item["text"] = article.text or item["text"]
        item["title"] = item["title"] or article.title
        item["author"] = item["author"] or article.author
        if item["published_at"] is None and article.published_at:
            item["published_at"] = article.published_at
        missing = [name for name in ("title", "published_at") if not item[name]]
        if missing:
            reason = f"no {' and no '.join(missing)} in the feed entry or on its page"
            self.context.reject(item["origin"], reason, item)
            return
        yield item


def _entry_item(entry: Any, feed_url: str, follow_links: bool) -> tuple[dict[str, Any], str | None]:
    """The item an entry makes, and what is wrong with it (None when nothing is).

    With ``follow_links`` a missing title or date may still come from the page, so only
    `NewsSpider._finish` can tell whether the entry lacks them for good.
    """
    link = _link(entry, feed_url)
    title = (entry.get("title") or "").strip()
    problems = [] if link else ["the entry has no link"]
    try:
        published = _published(entry)
    except ItemRejected as exc:
        published = None
        problems.append(str(exc))
    else:
        if published is None and not follow_links:
            problems.append("the entry has no date")
    if not title and not follow_links:
        problems.append("the entry has no title")
    item = {
        "kind": "news",
        "native_id": (entry.get("id") or "").strip() or link,
        "url": link,
        "title": title,
        "text": _entry_text(entry),
        "author": entry.get("author") or None,
        "published_at": published,
        "origin": link or feed_url,
    }
    return item, "; ".join(problems) or None


def _link(entry: Any, feed_url: str) -> str | None:
    link = (entry.get("link") or "").strip()
    # Without a <link>, feedparser copies the RSS <guid> or Atom <id> there (its `guidislink`
    # flag is unreliable for Atom); an id that is no web URL is no link.
    if not link or (not entry.get("links") and not _is_web_url(link)):
        return None
    absolute = urljoin(feed_url, link)
    return absolute if _is_web_url(absolute) else None


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _published(entry: Any) -> datetime | None:
    """The entry's time; raises `ItemRejected` for one that is present but unreadable.

    Our own parser goes first: feedparser reads zone-less times as UTC where Chinese feeds
    mean Beijing time, and rolls impossible dates over (month 13 becomes next January).
    Its struct_time (UTC) is used for formats only it knows.
    """
    for name in ("published", "updated", "created"):
        raw = entry.get(name)
        if not raw:
            continue
        try:
            return parse_time(raw)
        except TimeFormatError as exc:
            parsed = entry.get(f"{name}_parsed")
            if parsed is None or _NUMERIC_DATE.match(raw):
                raise ItemRejected(f"bad date {raw!r}: {exc}") from exc
            year, month, day, hour, minute, second = parsed[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


def _entry_text(entry: Any) -> str:
    contents = entry.get("content") or []
    longest = max((c.get("value") or "" for c in contents), key=len, default="")
    return longest or entry.get("summary") or ""


def _entry_raw(entry: Any) -> dict[str, Any]:
    keys = ("id", "title", "link", "published", "updated", "summary")
    return {key: entry.get(key) for key in keys if entry.get(key)}


def _newest_first(item: dict[str, Any]) -> tuple[int, float]:
    published = item["published_at"]
    if published is None:
        return (1, 0.0)  # undated entries last: their page may still date them
    return (0, -published.timestamp())


def _declared_encoding(response: Response) -> str | None:
    header = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    return http_content_type_encoding(header) or html_body_declared_encoding(response.body)
