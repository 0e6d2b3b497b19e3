"""Fixture routes of a message board: pages, details, and the ways real boards go wrong."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from core.timezone import SHANGHAI
from tests.crawler.server import Handler, Reply

# Message 3 has no reply until a test sets this, as a department answering between crawls.
STATE = {"reply_to_3": False, "hits_429": 0}
PER_PAGE = 5
MESSAGES = 15
BASE = datetime(2025, 3, 18, 9, 0, tzinfo=SHANGHAI)


def reset() -> None:
    STATE.update(reply_to_3=False, hits_429=0)


def when(number: int) -> datetime:
    return BASE - timedelta(hours=3 * (MESSAGES - number))  # 15 is the newest


def list_page(query: dict[str, str], prefix: str = "/board", endless: bool = False) -> Reply:
    page = int(query.get("page", "1"))
    newest = MESSAGES - (page - 1) * PER_PAGE
    numbers = [n for n in range(newest, newest - PER_PAGE, -1) if n >= 1] if not endless else [1]
    items = "".join(
        f'<li class="msg"><a class="title" href="/board/thread/{n}.html">留言{n}</a>'
        f'<span class="date">{when(n):%Y-%m-%d %H:%M}</span></li>'
        for n in numbers
    )
    has_next = endless or newest - PER_PAGE >= 1
    following = (
        f'<a class="next" href="{prefix}/list?page={page + 1}">下一页</a>' if has_next else ""
    )
    return Reply(f"<html><body><ul class='msg-list'>{items}</ul>{following}</body></html>")


def cycle_page(query: dict[str, str]) -> Reply:
    # Page 2 links back to page 1: a loop that only the duplicate filter ends.
    page = query.get("page", "1")
    following = "/cycle/list?page=2" if page == "1" else "/cycle/list?page=1"
    return Reply(
        '<ul class="msg-list"><li class="msg"><a class="title" href="/board/thread/1.html">'
        f'留言1</a></li></ul><a class="next" href="{following}">下一页</a>'
    )


def detail(number: int) -> Reply:
    replied = number % 2 == 1 and (number != 3 or STATE["reply_to_3"])
    reply = (
        '<div class="reply"><span class="reply-dept">市水务局</span>'
        f'<span class="reply-time">{when(number) + timedelta(days=1):%Y-%m-%d %H:%M}</span>'
        '<div class="reply-body"><p>您好，您反映的问题已交办，现已处理完毕。</p></div></div>'
        if replied
        else '<div class="reply pending">暂未回复</div>'
    )
    body = (
        f"<html><head><title>留言{number}</title></head><body>"
        f'<h1 class="msg-title">临江区幸福路停水问题{number}</h1>'
        '<div class="msg-meta">留言人：<span class="author">网友甲</span>'
        f'留言时间：<span class="time">{when(number):%Y-%m-%d %H:%M:%S}</span>'
        '所属区域：<span class="region">临江区</span>'
        '问题类别：<span class="category">城乡建设</span></div>'
        f'<div class="msg-body"><p>幸福路小区停水第{number}天，联系电话13912345678。</p>'
        "<p>请尽快恢复供水。</p></div>"
        f"{reply}</body></html>"
    )
    return Reply(body)


def thread_page(number: int) -> Reply:
    """Message `number`'s page as the board holds it: 7 is an old GBK page, 8 is UTF-8 that
    says gb2312, 9 is broken."""
    reply = detail(number)
    if number == 7:  # an old site in GBK
        return Reply(reply.encoded().decode().encode("gbk"), content_type="text/html; charset=gbk")
    if number == 8:  # moved to UTF-8 but still says gb2312
        text = reply.encoded().decode().replace("<head>", '<head><meta charset="gb2312">')
        return Reply(text.encode("utf-8"), content_type="text/html; charset=gb2312")
    if number == 9:  # a broken page: no markup the selectors know
        return Reply(b"\x00\xff<html><body>\xe5\x87 Service Unavailable</body")
    return reply


def thread(number: int) -> Handler:
    """The page as the server hands it out: the first request for 5 is turned away with a 429
    and Retry-After, and 6 comes slowly."""

    def handler(query: dict[str, str]) -> Reply:
        if number == 5:
            STATE["hits_429"] += 1
            if STATE["hits_429"] == 1:
                return Reply("slow down", status=429, headers={"Retry-After": "1"})
        if number == 6:
            time.sleep(1.5)
        return thread_page(number)

    return handler


def _thread_path(number: int) -> str:
    return f"/board/thread/{number}.html"


# What the board's pages are (built in-process for spider tests) ...
PAGES: dict[str, Handler] = {
    "/board/list": list_page,
    "/loop/list": lambda q: list_page(q, prefix="/loop", endless=True),
    "/cycle/list": cycle_page,
    **{_thread_path(n): lambda q, n=n: thread_page(n) for n in range(1, MESSAGES + 1)},
}
# ... and how the served board behaves (for Scrapy's engine): a 429 first, a slow page.
ROUTES: dict[str, Handler] = {
    **PAGES,
    **{_thread_path(n): thread(n) for n in range(1, MESSAGES + 1)},
}
