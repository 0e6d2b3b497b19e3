"""12345 hotline exports served over HTTP: read by the spider every served export uses."""

from __future__ import annotations

from crawler.spiders.export import ExportSpider

# The runner names spiders by path; hotline sources and board exports both run `ExportSpider`.
HotlineSpider = ExportSpider

__all__ = ["HotlineSpider"]
