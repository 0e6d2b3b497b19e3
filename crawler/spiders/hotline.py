"""12345 hotline exports served over HTTP: one request for the whole export, then its rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from core.errors import ConfigError, ExportError
from crawler.sources import HotlineSource
from crawler.spiders.base import SourceSpider
from crawler.tabular import read_bytes


class HotlineSpider(SourceSpider):
    """Reads the full export on every run; the store's upsert leaves unchanged orders alone.

    The export holds every open and recent order each time, so there is no paging and no
    incremental mark to stop at.
    """

    @property
    def hotline(self) -> HotlineSource:
        source = self.context.source
        assert isinstance(source, HotlineSource)  # the runner picks the spider by the kind
        return source

    async def start(self) -> AsyncIterator[Request]:
        if not self.hotline.url:
            self.context.error(
                f"source {self.hotline.name} has no url; import its exports with `yuqing import`"
            )
            return
        yield self.request(self.hotline.url, self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from self.guarded(response, self._rows)

    def _rows(self, response: Response) -> Iterator[dict[str, Any]]:
        try:
            for origin, raw, reason in read_bytes(
                response.body, self.hotline, name=self._export_name(response.url)
            ):
                if raw is None:
                    self.context.reject(origin, reason or "unreadable row")
                else:
                    yield raw
        except (ExportError, ConfigError) as exc:
            # The whole export is unreadable, or the source's mapping is wrong: no row is.
            self.context.error(f"{response.url}: {exc}")

    def _export_name(self, url: str) -> str:
        """The file name in the URL, which origins start with; the source's name if none."""
        name = PurePosixPath(urlsplit(url).path).name
        return name or f"{self.hotline.name}.{self.hotline.format}"
