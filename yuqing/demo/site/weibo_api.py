"""The Weibo-like JSON API: status objects, relative timestamps, timeline and search pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import quote

from yuqing.demo.site.models import MicroblogStatus

TIMELINE_PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 10
_RECENT_DAYS = 10  # older statuses carry the full timestamp, as m.weibo.cn does
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MARKUP = re.compile(r"#([^#\n]{1,40})#|@([\w\-]{2,30})")


def created_at(published: datetime, now: datetime) -> str:
    """The timestamp as m.weibo.cn shows it: relative while recent, absolute later."""
    age = now - published
    if age < timedelta(minutes=1):
        return "刚刚"
    if age < timedelta(hours=1):
        return f"{int(age.total_seconds() // 60)}分钟前"
    if published.date() == now.date():
        return f"{int(age.total_seconds() // 3600)}小时前"
    if published.date() == now.date() - timedelta(days=1):
        return f"昨天 {published:%H:%M}"
    if age < timedelta(days=_RECENT_DAYS) and published.year == now.year:
        return f"{published:%m-%d}"
    day, month = _DAYS[published.weekday()], _MONTHS[published.month - 1]
    return f"{day} {month} {published:%d %H:%M:%S} +0800 {published.year}"


def render_text(text: str) -> str:
    """Plain text to the service's HTML: topic and mention links, `<br />` for newlines."""

    def link(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            tag = f"#{match.group(1)}#"
            href = f"/api/weibo/search?q={quote(tag)}"
            return f'<a href="{href}"><span class="surl-text">{tag}</span></a>'
        name = match.group(2)
        return f"<a href='/n/{quote(name)}'>@{name}</a>"

    return _MARKUP.sub(link, escape(text, quote=False)).replace("\n", "<br />")


def status_json(status: MicroblogStatus, now: datetime) -> dict[str, Any]:
    user = status.user
    data: dict[str, Any] = {
        "id": status.id,
        "mid": status.id,
        "created_at": created_at(status.published, now),
        "text": render_text(status.text),
        "source": status.source,
        "user": {
            "id": user.id,
            "screen_name": user.screen_name,
            "verified": user.verified,
            "verified_type": user.verified_type,
            "followers_count": user.followers,
        },
        "reposts_count": status.reposts,
        "comments_count": status.comments,
        "attitudes_count": status.likes,
        "region_name": status.region_name,
        "isLongText": False,
    }
    if status.retweeted is not None:
        data["retweeted_status"] = status_json(status.retweeted, now)
    return data


def timeline(
    visible: Sequence[MicroblogStatus], max_id: int | None, now: datetime
) -> dict[str, Any]:
    """One page at or below `max_id`; `next_max_id` is the first status of the next page."""
    start = 0
    if max_id is not None:
        start = next((i for i, s in enumerate(visible) if int(s.id) <= max_id), len(visible))
    page = visible[start : start + TIMELINE_PAGE_SIZE]
    after = start + TIMELINE_PAGE_SIZE
    next_max_id = visible[after].id if after < len(visible) else None
    statuses = [status_json(status, now) for status in page]
    return {"ok": 1, "data": {"statuses": statuses, "next_max_id": next_max_id}}


def search(
    visible: Sequence[MicroblogStatus], query: str, page: int, now: datetime
) -> dict[str, Any]:
    """Statuses whose own text contains `query`, newest first, one numbered page at a time."""
    matches = [status for status in visible if query.lower() in status.text.lower()]
    start = (page - 1) * SEARCH_PAGE_SIZE
    chunk = matches[start : start + SEARCH_PAGE_SIZE]
    cards = [{"card_type": 9, "mblog": status_json(status, now)} for status in chunk]
    has_more = start + SEARCH_PAGE_SIZE < len(matches)
    return {"ok": 1, "data": {"cards": cards, "page": page, "has_more": has_more}}
