"""A local demo site of the fictional 江澜市, for the product's crawler to crawl in the demo.

Content is generated once at start from fixed seeds: the same text every run, with dates
relative to today (Asia/Shanghai). Three incidents run through every source -- a water outage
in 临江区 (days D-6..D-2), a school-zoning dispute in 滨湖区 (D-10..D-2) and night-time chemical
odour near 青山化工园 (D-5..D) -- over a month of everyday background. What is visible is decided
at each request: items dated after the current time are not served yet, and a board reply or
a hotline answer appears only once its own time has passed, so a later crawl finds it.

HTTP interface (one server, default http://127.0.0.1:8100; everything else is 404)

/robots.txt
    Allows everything except /admin/.
/news/rss.xml
    RSS 2.0 of 江澜日报, newest 200 items: title, link (/news/article/{id}.html),
    description (short summary), category, pubDate (RFC 822, +0800), guid (the id).
/news/district.atom
    Atom 1.0 of 江澜融媒 (about 100 entries): id, title, link, updated, published, summary.
/news/article/{id}.html
    Article page: nav, breadcrumbs, sidebar of links, footer; body in
    <div class="article-content"> as <p> paragraphs plus an author line, a
    "责任编辑" line and a time line "2025-03-18 10:23 来源：江澜日报". 江澜融媒 pages are
    served as "text/html; charset=gbk" in GBK; a few 江澜日报 pages declare
    <meta charset="gb2312"> with no charset in the header but are UTF-8.
/board/list?page=N
    Message board, 20 per page from N=1, newest first:
    <ul class="msg-list"><li class="msg"><a class="title" href="/board/thread/{id}.html">
    with <span class="date">, <span class="status">已回复|未回复</span>; a pagination bar
    with <a class="next" href="/board/list?page=N+1">下一页</a> except on the last page.
    A page past the last is 404.
/board/thread/{id}.html
    <h1 class="msg-title">; <div class="msg-meta"> with span.author, span.time
    (2025-03-18 10:23:45), span.region, span.category; <div class="msg-body">; then
    <div class="reply"> with span.reply-dept, span.reply-time, div.reply-body, or
    <div class="reply pending">暂未回复</div>.
/api/weibo/timeline?max_id=X
    {"ok": 1, "data": {"statuses": [...], "next_max_id": "..." | null}}, 20 per page, newest
    first; a page holds the statuses with id <= max_id (all when max_id is absent or 0), and
    next_max_id is the id of the first status of the next page.
/api/weibo/search?q=WORD&page=N
    {"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {...}}], "page": N,
    "has_more": bool}}, 10 per page, statuses whose own text contains WORD.
    A status has id (string), created_at ("刚刚", "5分钟前", "3小时前", "昨天 12:30", "03-18",
    or "Tue Mar 18 10:23:45 +0800 2025" after ten days), text (HTML with <br />, #话题# and
    <a> links), user {id, screen_name, verified, verified_type, followers_count},
    reposts_count, comments_count, attitudes_count, region_name ("发布于 临江区"), source,
    and for reposts retweeted_status (the full original status).
/hotline/export.csv, /hotline/export.xlsx, /hotline/export.json
    12345 work orders, newest first, columns 工单编号, 受理时间, 来源渠道, 所属区域, 诉求分类,
    诉求标题, 诉求内容, 承办单位, 办理状态 (办理中|已办结), 办结时限, 答复内容. The CSV is
    GBK; the JSON is an array of objects with those keys. 诉求内容 may hold invented phone,
    ID-card and bank-card numbers, which the product must mask.
Bad query parameters (page=0, max_id=abc, no q) get 400 with {"ok": 0, "msg": ...}.

Python: `build_site(today)` returns the `Site`; `serve(host, port, today=...)` starts a daemon
thread and returns (server, thread), stopped with `server.shutdown()`; `Site.visible_counts(now)`
counts what each source shows at `now`. `python -m yuqing.demo.site --port 8100` serves in the
foreground.
"""

from __future__ import annotations

from yuqing.demo.site.build import build_site
from yuqing.demo.site.models import (
    BoardMessage,
    BoardReply,
    HotlineOrder,
    MicroblogStatus,
    MicroblogUser,
    NewsArticle,
    Site,
)
from yuqing.demo.site.server import make_server, serve

__all__ = [
    "BoardMessage",
    "BoardReply",
    "HotlineOrder",
    "MicroblogStatus",
    "MicroblogUser",
    "NewsArticle",
    "Site",
    "build_site",
    "make_server",
    "serve",
]
