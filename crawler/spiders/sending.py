"""How a source's requests are sent: its headers and cookies (secrets read from the environment
variables the YAML names), and the method and body of its entry request (the feed, list, API or
export URL), where a listing's page or cursor parameter goes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import FormRequest, JsonRequest
from w3lib.url import add_or_replace_parameter

from core.settings import named_secret
from crawler.sources import AnySource, BoardSource, NewsSource, export_of, listing_of


def entry_urls(source: AnySource) -> frozenset[str]:
    """The URLs a crawl of `source` starts from."""
    urls: list[str | None] = []
    if isinstance(source, NewsSource):
        urls.append(source.feed_url)
    if isinstance(source, BoardSource):
        urls.append(source.start_url)
    listing, export = listing_of(source), export_of(source)
    urls += [listing.api_url if listing else None, export.url if export else None]
    return frozenset(url for url in urls if url)


def secret_headers(source: AnySource) -> dict[str, str]:
    """The headers whose values come from environment variables, with the cookies as one
    Cookie header; a `ConfigError` naming the variable when one is unset."""
    options = source.request
    headers = {
        header: named_secret(env, needed_by=f"source {source.name} (header {header})")
        for header, env in options.headers_from_env.items()
    }
    cookies = [
        f"{cookie}={named_secret(env, needed_by=f'source {source.name} (cookie {cookie})')}"
        for cookie, env in options.cookies_from_env.items()
    ]
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    return headers


@dataclass
class Sending:
    """Builds a source's requests. Headers and cookies go with every request to the hosts of
    its entry URLs (a login cookie is needed on the detail pages too); the method and the body
    only with the entry request and a listing's further pages."""

    source: AnySource
    _secrets: dict[str, str] | None = None

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(urlsplit(url).netloc for url in entry_urls(self.source))

    def headers(self, url: str) -> dict[str, str]:
        """What a request to `url` carries: the user agent, and on the source's own hosts its
        headers and cookies (secrets read once, when first needed)."""
        source = self.source
        headers = {"User-Agent": source.user_agent} if source.user_agent else {}
        if urlsplit(url).netloc in self.hosts:
            if self._secrets is None:
                self._secrets = secret_headers(source)
            headers.update(source.request.headers)
            headers.update(self._secrets)
        return headers

    def build(self, url: str, *, page: dict[str, Any] | None, **kwargs: Any) -> scrapy.Request:
        """The request for `url`; an entry URL, or a listing page (`page`: the page or cursor
        parameter), is sent with the source's method and body."""
        headers = self.headers(url)
        options = self.source.request
        if page is None and url not in entry_urls(self.source):
            return scrapy.Request(url, headers=headers, **kwargs)
        page = page or {}
        if options.method == "GET":
            for name, value in page.items():
                url = add_or_replace_parameter(url, name, str(value))
            return scrapy.Request(url, headers=headers, **kwargs)
        if options.json_body is not None:
            data = {**options.json_body, **page}
            return JsonRequest(url, data=data, method="POST", headers=headers, **kwargs)
        form = {**(options.form or {}), **{name: str(value) for name, value in page.items()}}
        return FormRequest(url, formdata=form, method="POST", headers=headers, **kwargs)
