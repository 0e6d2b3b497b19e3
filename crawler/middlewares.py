"""Retries with backoff: 429 and 5xx wait before the next try, honouring Retry-After."""

from __future__ import annotations

import asyncio
import logging
import random

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)

MAX_DELAY = 60.0


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, with an exponential, jittered pause before each new try."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base_delay: float = settings.getfloat("YUQING_BACKOFF_BASE", 1.0)
        self.max_delay: float = settings.getfloat("YUQING_BACKOFF_MAX", MAX_DELAY)

    # Scrapy's own method is synchronous; Scrapy awaits a coroutine here as well, which lets
    # the pause before a retry wait without blocking the other requests.
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        tries: int = request.meta.get("retry_times", 0)
        delay = self._delay(response, tries)
        retry = self._retry(request, f"{response.status}")
        if retry is None:
            return response
        log.info("HTTP %s from %s; retrying in %.1fs", response.status, request.url, delay)
        await asyncio.sleep(delay)
        return retry

    def _delay(self, response: Response, tries: int) -> float:
        header = response.headers.get(b"Retry-After")
        if header:
            try:
                return min(float(header.decode().strip()), self.max_delay)
            except ValueError:
                pass  # an HTTP date: fall back to our own schedule
        return min(self.base_delay * 2.0**tries * (0.75 + random.random() / 2), self.max_delay)
