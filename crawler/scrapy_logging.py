"""What Scrapy may log of a crawl: never an item, whose text carries what people wrote.

Scrapy's own log formatter prints every scraped item at DEBUG, a dropped one at WARNING and one
that broke the pipeline at ERROR, each in full, so a crawl wrote its posts (phone numbers and
all, before the store masks them) to stderr. These messages say where the item came from and
what happened to it; the quarantine file and the run summary hold the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class ItemlessLogFormatter(LogFormatter):
    """Scrapy's messages about items, without the items."""

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "Scraped an item from %(src)s",
            "args": {"src": _source(response)},
        }

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        said = super().dropped(item, exception, response, spider)
        return {
            "level": said["level"],
            "msg": "Dropped an item from %(src)s: %(exception)s",
            "args": {"src": _source(response), "exception": exception},
        }

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "Error processing an item from %(src)s",
            "args": {"src": _source(response)},
        }


def _source(response: Response | Failure | None) -> str:
    if isinstance(response, Response):
        return response.url
    if isinstance(response, Failure):
        return response.getErrorMessage()
    return "the spider's start"
