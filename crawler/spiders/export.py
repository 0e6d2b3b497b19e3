"""Exports served over HTTP (12345 hotline work orders, a board's message export): one request
for the whole export, then its rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from core.errors import ConfigError, ExportError
from crawler.source_options import TableExport
from crawler.sources import export_of
from crawler.spiders.base import SourceSpider
from crawler.tabular import read_bytes


class ExportSpider(SourceSpider):
    """Reads the full export on every run; the store's upsert leaves unchanged rows alone.

    The export holds every open and recent order (or message) each time, so there is no paging
    and no incremental mark to stop at. Hotline sources and board sources with `export:` both
    run here.
    """

    @property
    def export(self) -> TableExport | None:
        return export_of(self.context.source)

    async def start(self) -> AsyncIterator[Request]:
        name = self.context.source.name
        if self.export is None:
            self.context.error(f"source {name} has no export: to fetch")
            return
        if not self.export.url:
            self.context.error(f"source {name} has no url; import its exports with `yuqing import`")
            return
        yield self.request(self.export.url, self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from self.guarded(response, self._rows)

    def _rows(self, response: Response) -> Iterator[dict[str, Any]]:
        try:
            rows = read_bytes(
                response.body,
                self.context.source,
                name=self._export_name(response.url),
                author_key=self.context.author_key,
            )
            for origin, raw, reason in rows:
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
        fmt = self.export.format if self.export is not None else "csv"
        return name or f"{self.context.source.name}.{fmt}"
