"""Fixture routes of a Weibo-like JSON API: a cursor timeline and a paged search."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from core.timezone import SHANGHAI
from tests.crawler.server import Handler, Reply

PER_PAGE = 10
TOTAL = 25


def shown_time(age: timedelta, now: datetime) -> str:
    """As m.weibo.cn shows times: relative when recent, a full date when old."""
    if age < timedelta(minutes=1):
        return "刚刚"
    if age < timedelta(hours=1):
        return f"{int(age.total_seconds() // 60)}分钟前"
    if age < timedelta(hours=24) and (now - age).date() == now.date():
        return f"{int(age.total_seconds() // 3600)}小时前"
    moment = now - age
    if (now.date() - moment.date()).days == 1:
        return f"昨天 {moment:%H:%M}"
    return moment.strftime("%a %b %d %H:%M:%S +0800 %Y")


def status(number: int, now: datetime) -> dict:
    age = timedelta(minutes=7 * (TOTAL - number) ** 2)  # 25 is newest, ages spread to days
    user = {
        "id": 100 + number % 4,
        "screen_name": f"江澜网友{number % 4}",
        "verified": number % 4 == 0,
    }
    item = {
        "id": str(5000 + number),
        "created_at": shown_time(age, now),
        "text": f"青山化工园附近又有刺鼻异味 #江澜异味# 第{number}条<br />请环保部门查查",
        "user": user,
        "reposts_count": number,
        "comments_count": "1.2万" if number == 20 else str(number * 2),
        "attitudes_count": number * 3,
        "region_name": "青山区",
    }
    if number % 5 == 0:
        item["retweeted_status"] = {
            "id": "4000",
            "created_at": "Mon Mar 10 08:00:00 +0800 2025",
            "text": "江澜市生态环境局：已对青山化工园开展走航监测",
            "user": {"id": 1, "screen_name": "江澜生态环境", "verified": True},
            "reposts_count": 300,
            "comments_count": 120,
            "attitudes_count": 88,
        }
    return item


def timeline(query: dict[str, str]) -> Reply:
    now = datetime.now(SHANGHAI)
    start = int(query.get("max_id") or TOTAL)
    numbers = [n for n in range(start, start - PER_PAGE, -1) if n >= 1]
    following = str(numbers[-1] - 1) if numbers and numbers[-1] > 1 else None
    data = {
        "ok": 1,
        "data": {"statuses": [status(n, now) for n in numbers], "next_max_id": following},
    }
    return Reply(json.dumps(data, ensure_ascii=False), content_type="application/json")


def search(query: dict[str, str]) -> Reply:
    now = datetime.now(SHANGHAI)
    page = int(query.get("page", "1"))
    top = TOTAL - (page - 1) * PER_PAGE
    numbers = [n for n in range(top, top - PER_PAGE, -1) if n >= 1]
    cards = [{"mblog": status(n, now)} for n in numbers]
    if page == 2:
        cards.append({"mblog": {**status(1, now), "id": "9999", "created_at": "sometime soon"}})
    data = {"ok": 1, "data": {"cards": cards, "page": page, "has_more": top - PER_PAGE >= 1}}
    return Reply(json.dumps(data, ensure_ascii=False), content_type="application/json")


def board_api(query: dict[str, str]) -> Reply:
    """A made-up JSON board: one answered message, one waiting."""
    messages = [
        {
            "msgId": "M-1001", "subject": "幸福路小区停水三天", "body": "<p>何时恢复供水？</p>",
            "user": "居民甲", "district": "临江区", "type": "城建", "postedAt": "03/18/2025 09:30",
            "answer": {"content": "已于当日恢复。", "dept": "市水务集团", "at": "2025-03-19 10:00"},
        },
        {
            "msgId": "M-1002", "subject": "路灯不亮", "body": "滨湖路路灯坏了",
            "user": "居民乙", "district": "滨湖区", "type": "市政", "postedAt": "03/17/2025 20:15",
            "answer": None,
        },
    ]  # fmt: skip
    data = {"code": 0, "list": messages, "more": False}
    return Reply(json.dumps(data, ensure_ascii=False), content_type="application/json")


PAGES: dict[str, Handler] = {
    "/mb/board-api": board_api,
    "/mb/timeline": timeline,
    "/mb/search": search,
    "/mb/broken": lambda q: Reply("{not json", content_type="application/json"),
}
# Served as they are.
ROUTES: dict[str, Handler] = PAGES
