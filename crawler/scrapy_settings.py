"""Scrapy settings for one source, from the product settings and the source's block."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from core.settings import Settings
from crawler.sources import AnySource
from crawler.spiders.sending import entry_urls

RETRY_CODES = [408, 429, 500, 502, 503, 504, 522, 524]


def scrapy_settings(settings: Settings, sources: list[AnySource]) -> dict[str, Any]:
    """One Scrapy settings dict for a process that crawls `sources`.

    Per-source politeness (delay, concurrency, robots.txt, user agent, timeout, retries) is
    applied by each spider to its own requests (see `crawler.spiders.base`); these are the
    settings the sources share.
    """
    return {
        "BOT_NAME": "yuqing",
        "USER_AGENT": settings.crawler.user_agent,
        # On for the process; a source with obey_robots: false marks its requests exempt.
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": min((s.download_delay for s in sources), default=0.5),
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": max((s.max_concurrency for s in sources), default=2),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": max((s.retries for s in sources), default=3),
        "RETRY_HTTP_CODES": RETRY_CODES,
        "DOWNLOAD_TIMEOUT": max((s.timeout_seconds for s in sources), default=30),
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
        },
        "ITEM_PIPELINES": {"crawler.scrapy_pipeline.PostPipeline": 300},
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy logs at the product's level, and never an item (see crawler.scrapy_logging).
        "LOG_LEVEL": settings.log_level,
        "LOG_FORMATTER": "crawler.scrapy_logging.ItemlessLogFormatter",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "HTTPERROR_ALLOW_ALL": False,
        "COOKIES_ENABLED": False,
        "LOG_INSTALL_ROOT_HANDLER": False,
        "DOWNLOAD_SLOTS": download_slots(sources),
    }


def download_slots(sources: list[AnySource]) -> dict[str, dict[str, Any]]:
    """Per-host politeness: each source's delay and concurrency cap for the hosts it crawls.

    Two sources on one host share a slot, so the stricter of their settings applies.
    """
    slots: dict[str, dict[str, Any]] = {}
    for source in sources:
        for url in _urls(source):
            host = urlsplit(url).hostname
            if not host:
                continue
            slot = slots.setdefault(
                host, {"delay": source.download_delay, "concurrency": source.max_concurrency}
            )
            slot["delay"] = max(slot["delay"], source.download_delay)
            slot["concurrency"] = min(slot["concurrency"], source.max_concurrency)
    return slots


def _urls(source: AnySource) -> list[str]:
    return sorted(entry_urls(source))
