"""The news spider: RSS 2.0 and Atom feeds, and the article pages their entries link to."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
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
from crawler.normalize import PRECISION_RANK, TimeReading, decode_body, read_time
from crawler.sources import NewsSource
from crawler.spiders.base import SourceSpider, select

log = logging.getLogger(__name__)

_NUMERIC_DATE = re.compile(r"^\s*\d{4}\s*[-/.年]")
# A feed's bare date and the page's exact time of one article can differ by a day (the feed
# writes the date in another zone, or of the next edition); further apart, they disagree.
_SAME_MOMENT = timedelta(hours=48)


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
            item, problem = _entry_item(
                entry, response.url, self.source.follow_links, self.context.reading
            )
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
        first: Article | None = response.meta.get("first")
        try:
            article = self._read_article(response)
        except Exception as exc:  # noqa: BLE001 - a page we cannot read keeps the feed's text
            log.warning("cannot extract %s, keeping the feed text: %s", response.url, exc)
            article = Article()
        texts = [*response.meta.get("texts", []), article.text]
        visited = [*response.meta.get("visited", []), response.url]
        following = self._next_page(response, visited)
        if following is not None:
            # The next page of the same article: its text joins this one's, in order.
            meta = {"item": item, "first": first or article, "texts": texts, "visited": visited}
            yield self.request(
                following, self.parse_article, meta=meta, errback=self.page_failed,
                dont_filter=True,
            )  # fmt: skip
            return
        whole = "\n".join(text for text in texts if text)
        yield from self._finish(item, replace(first or article, text=whole))

    def _next_page(self, response: Response, visited: list[str]) -> str | None:
        """The article's next page when `next_page` is configured, not yet read, in bounds."""
        if not self.source.next_page:
            return None
        link = select(self.page(response), self.source.next_page)
        if not link:
            return None
        url = urljoin(response.url, link)
        if not _is_web_url(url) or url in visited:
            return None
        if len(visited) >= self.source.max_article_pages:
            self.context.error(
                f"{visited[0]}: stopped after {len(visited)} pages (max_article_pages)"
            )
            return None
        return url

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        """A later page of an article is gone: the pages read so far are the article."""
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        self.failed(failure)
        meta = request.meta
        whole = "\n".join(text for text in meta.get("texts", []) if text)
        yield from self._finish(dict(meta["item"]), replace(meta["first"], text=whole))

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

    def _page_time(self, shown: str | None) -> tuple[datetime, str] | None:
        if not shown:
            return None
        try:
            return read_time(shown, now=self.context.now, reading=self.context.reading)
        except TimeFormatError:
            return None  # a byline the page garbled: the feed's time stands

    def _read_article(self, response: Response) -> Article:
        html = decode_body(response.body, _declared_encoding(response))
        return extract_article(html, response.url, body_selector=self.source.body_selector)

    def _finish(self, item: dict[str, Any], article: Article) -> Iterator[dict[str, Any]]:
        """The feed's title wins and the page fills what the entry lacks; of the two times,
        the more precise one (the page's "2019-06-15 08:18" over the feed's "2019-06-16")."""
        item["text"] = article.text or item["text"]
        item["title"] = item["title"] or article.title
        item["author"] = item["author"] or article.author
        page_time = self._page_time(article.published_at)
        if page_time is not None and _better(page_time, item):
            item["published_at"], item["published_precision"] = page_time
        missing = [name for name in ("title", "published_at") if not item[name]]
        if missing:
            reason = f"no {' and no '.join(missing)} in the feed entry or on its page"
            self.context.reject(item["origin"], reason, item)
            return
        yield item


def _entry_item(
    entry: Any, feed_url: str, follow_links: bool, reading: TimeReading
) -> tuple[dict[str, Any], str | None]:
    """The item an entry makes, and what is wrong with it (None when nothing is).

    With ``follow_links`` a missing title or date may still come from the page, so only
    `NewsSpider._finish` can tell whether the entry lacks them for good.
    """
    link = _link(entry, feed_url)
    title = (entry.get("title") or "").strip()
    problems = [] if link else ["the entry has no link"]
    try:
        published, precision = _published(entry, reading) or (None, None)
    except ItemRejected as exc:
        published, precision = None, None
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
        "published_precision": precision,
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


def _published(entry: Any, reading: TimeReading) -> tuple[datetime, str] | None:
    """The entry's time and its precision; raises `ItemRejected` for one that is present but
    unreadable.

    Our own parser goes first: feedparser reads zone-less times as UTC where Chinese feeds
    mean Beijing time, and rolls impossible dates over (month 13 becomes next January).
    Its struct_time (UTC) is used for formats only it knows.
    """
    for name in ("published", "updated", "created"):
        raw = entry.get(name)
        if not raw:
            continue
        try:
            return read_time(raw, reading=reading)
        except TimeFormatError as exc:
            parsed = entry.get(f"{name}_parsed")
            if parsed is None or _NUMERIC_DATE.match(raw):
                raise ItemRejected(f"bad date {raw!r}: {exc}") from exc
            year, month, day, hour, minute, second = parsed[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC), "second"
    return None


def _better(page_time: tuple[datetime, str], item: dict[str, Any]) -> bool:
    """Whether the page's time should replace the entry's: the entry has none, or the page's
    is more precise and tells of the same moment."""
    if item["published_at"] is None:
        return True
    rank = PRECISION_RANK.get(item.get("published_precision") or "second", 2)
    if PRECISION_RANK[page_time[1]] <= rank:
        return False
    entry_time: datetime = item["published_at"]
    return abs(page_time[0] - entry_time) <= _SAME_MOMENT


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
