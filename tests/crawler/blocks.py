"""Source blocks for the fixture sites, as a user writes them in sources.yaml.

`base` is where the fixture site is: the local fixture server's URL, or `OFFLINE` when the
spider is fed responses built in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from crawler.sources import AnySource, SourcesFile
from tests.crawler.site_hotline import COLUMNS

# Never connected to: responses for this address are built in-process from the pages.
OFFLINE = "http://127.0.0.1:9"
# Politeness a test can afford; a block may say otherwise.
FAST: dict[str, Any] = {
    "download_delay": 0,
    "retries": 2,
    # Long enough that a loaded machine never times a page out into a retry (hits are counted).
    "timeout_seconds": 30,
    "obey_robots": False,
}

BOARD_SELECTORS = {
    "item": "ul.msg-list li.msg",
    "detail_link": "a.title::attr(href)",
    "next_page": "a.next::attr(href)",
    "list_date": "span.date::text",
    "title": "h1.msg-title::text",
    "body": "div.msg-body",
    "author": "span.author::text",
    "published_at": "span.time::text",
    "region": "span.region::text",
    "category": "span.category::text",
    "reply_body": "div.reply-body",
    "reply_department": "span.reply-dept::text",
    "replied_at": "span.reply-time::text",
    "id_from_url": r"/thread/(\d+)\.html",
}

MICROBLOG_FIELDS = {
    "id": "id",
    "text": "text",
    "published_at": "created_at",
    "author": "user.screen_name",
    "author_verified": "user.verified",
    "reposts": "reposts_count",
    "comments": "comments_count",
    "likes": "attitudes_count",
    "region": "region_name",
    "repost_of": "retweeted_status",
}


def board(
    base: str, name: str = "board", path: str = "/board/list?page=1", **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "board",
        "start_url": base + path,
        "selectors": BOARD_SELECTORS,
        **extra,
    }


def news(base: str, name: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "news", "feed_url": base + path, **extra}


def timeline(base: str, name: str = "weibo", **extra: Any) -> dict[str, Any]:
    """The Weibo-like timeline, paged by a cursor (``max_id``)."""
    return {
        "name": name,
        "kind": "microblog",
        "api_url": base + "/mb/timeline",
        "items_path": "data.statuses",
        "pagination": {"type": "cursor", "param": "max_id", "next_cursor_path": "data.next_max_id"},
        "fields": MICROBLOG_FIELDS,
        **extra,
    }


def search(base: str, name: str = "search", **extra: Any) -> dict[str, Any]:
    """The Weibo-like search, paged by number until ``has_more`` is false."""
    return {
        "name": name,
        "kind": "microblog",
        "api_url": base + "/mb/search?q=异味",
        "items_path": "data.cards",
        "item_path": "mblog",
        "pagination": {"type": "page", "param": "page", "has_more_path": "data.has_more"},
        "fields": MICROBLOG_FIELDS,
        **extra,
    }


def broken(base: str, name: str = "broken") -> dict[str, Any]:
    """An API that answers with something that is not JSON."""
    return {
        "name": name,
        "kind": "microblog",
        "api_url": base + "/mb/broken",
        "items_path": "data.statuses",
        "pagination": {"type": "page", "param": "page"},
        "fields": MICROBLOG_FIELDS,
    }


def hotline(name: str = "hotline", **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "hotline", "columns": COLUMNS, **extra}


def with_defaults(block: dict[str, Any]) -> dict[str, Any]:
    return {**FAST, **block}


def source(block: dict[str, Any]) -> AnySource:
    """The validated source of a block (with the fast defaults), as sources.yaml gives it."""
    (parsed,) = SourcesFile.model_validate({"sources": [with_defaults(block)]}).sources
    return parsed


def write_sources(path: Path, *blocks: dict[str, Any]) -> None:
    """sources.yaml holding the blocks, with the fast defaults unless they say otherwise."""
    data = {"sources": [with_defaults(block) for block in blocks]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
