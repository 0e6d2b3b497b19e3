"""What every spider shares: its source's politeness, headers and cookies on each request, the
crawl context, and the end of the crawl at a login wall."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import scrapy
from parsel import Selector
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.context import CrawlContext
from crawler.normalize import decode_body
from crawler.runs import RunStatus
from crawler.spiders.sending import Sending
from crawler.spiders.walls import login_wall


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured source through its `CrawlContext`."""

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(name=context.source.name, **kwargs)
        self.context = context
        self.sending = Sending(context.source)

    def request(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        meta: dict[str, Any] | None = None,
        errback: Callable[[Failure], Any] | None = None,
        dont_filter: bool = False,
        page: dict[str, Any] | None = None,
    ) -> scrapy.Request:
        """A request carrying the source's timeout, retries, robots rule, user agent, headers
        and cookies; the source's entry URL (or a listing's `page`: its page or cursor
        parameter) goes with the source's method and body."""
        source = self.context.source
        full_meta = {
            "download_timeout": source.timeout_seconds,
            "max_retry_times": source.retries,
            "dont_obey_robotstxt": not source.obey_robots,
            **(meta or {}),
        }
        return self.sending.build(
            url,
            page=page,
            callback=callback,
            errback=errback or self.failed,
            meta=full_meta,
            dont_filter=dont_filter,
        )

    def failed(self, failure: Failure) -> None:
        """A request that failed for good (after retries): recorded, and the crawl goes on,
        unless the reply is a login wall."""
        response = getattr(failure.value, "response", None)
        if isinstance(response, Response):
            self.stop_at_wall(response)
        if self.context.auth_wall is None:
            self.context.error(describe_failure(failure))

    def guarded(
        self, response: Response, parse: Callable[[Response], Iterator[Any]]
    ) -> Iterator[Any]:
        """Run `parse`; a page it cannot read is quarantined with the reason, not fatal. A
        login wall ends the crawl."""
        self.stop_at_wall(response)
        try:
            yield from parse(response)
        except Exception as exc:  # any extraction bug or broken page: keep crawling
            self.context.reject(response.url, f"cannot read the page: {type(exc).__name__}: {exc}")

    def stop_at_wall(self, response: Response) -> None:
        """When the reply is what the source's `auth_failure` describes, keep its body, mark
        the run `auth_required` and close the spider (`CloseSpider`): no more pages."""
        rule = self.context.source.auth_failure
        if self.context.auth_wall is None and rule is not None:
            reason = login_wall(rule, response)
            if reason is None:
                return
            self.context.login_required(response.url, reason, response.body)
        if self.context.auth_wall is not None:
            raise CloseSpider(RunStatus.AUTH_REQUIRED)

    @staticmethod
    def text_of(response: Response) -> str:
        """The body as text, its charset repaired when the page declares the wrong one."""
        declared = getattr(response, "encoding", None)
        return decode_body(response.body, declared)

    def page(self, response: Response) -> Selector:
        return Selector(text=self.text_of(response), base_url=response.url)


def describe_failure(failure: Failure) -> str:
    """The URL and what went wrong: the HTTP status, or the network error."""
    request = getattr(failure, "request", None)
    url = request.url if request is not None else "?"
    response = getattr(failure.value, "response", None)
    if response is not None:
        return f"{url}: HTTP {response.status}"
    kind = failure.type.__name__ if failure.type is not None else "error"
    return f"{url}: {failure.getErrorMessage() or kind}"


def select_all(node: Selector, expression: str) -> list[Selector]:
    """Every match of a CSS (``::text``, ``::attr()``) or XPath (``/``, ``(``) expression."""
    if expression.startswith(("/", "(", "./")):
        return list(node.xpath(expression))
    return list(node.css(expression))


def select(node: Selector, expression: str | None) -> str | None:
    """The first match of an expression as a stripped string, or None."""
    if not expression:
        return None
    found = select_all(node, expression)
    value = found[0].get() if found else None
    return value.strip() if isinstance(value, str) and value.strip() else None
