"""HTML pages of the news sites and the message board, laid out like real municipal sites."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from yuqing.demo.site.models import BoardMessage, NewsArticle

BOARD_PAGE_SIZE = 20
OUTLET_NAMES = {"daily": "江澜日报", "media": "江澜融媒"}
# The meta tag each article says it is in; "mislabelled" pages lie, as some real ones do.
META_CHARSETS = {"utf-8": "utf-8", "gbk": "gbk", "mislabelled": "gb2312"}
_NAV = (
    ("首页", "#"),
    ("要闻", "#"),
    ("民生", "#"),
    ("区县", "#"),
    ("江澜问政", "/board/list?page=1"),
    ("融媒快讯", "/news/district.atom"),
)


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _layout(title: str, charset: str, site_name: str, body: str, year: int) -> str:
    nav = "".join(f'<li><a href="{href}">{name}</a></li>' for name, href in _NAV)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
<div class="top-bar"><div class="wrap">欢迎访问{site_name}
| <a href="#">无障碍</a> | <a href="#">手机版</a></div></div>
<div class="header"><div class="wrap"><a class="logo" href="#">{site_name}</a>
<ul class="nav">{nav}</ul></div></div>
<div class="wrap main">
{body}
</div>
<div class="footer"><div class="wrap">
<p>版权所有 &copy; {year} {site_name} 未经授权禁止转载</p>
<p>主办：江澜市人民政府办公室 承办：江澜市大数据中心 江ICP备00000000号</p>
</div></div>
</body>
</html>
"""


def article_page(article: NewsArticle, others: Sequence[NewsArticle]) -> str:
    """A full article page; `others` fill the sidebar of related links."""
    outlet = OUTLET_NAMES[article.outlet]
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    sidebar = "\n".join(
        f'<li><a href="/news/article/{o.id}.html">{escape(o.title)}</a></li>' for o in others
    )
    body = f"""<div class="breadcrumb">当前位置：<a href="#">首页</a>
&gt; <a href="#">{article.channel}</a> &gt; 正文</div>
<div class="content-left">
<div class="article">
<h1 class="article-title">{escape(article.title)}</h1>
<div class="article-info">{_minute(article.published)} 来源：{outlet}</div>
<div class="article-content">
{paragraphs}
<p class="author">（{escape(article.byline)}）</p>
</div>
<div class="article-editor">责任编辑：{escape(article.editor)}</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
</div>
</div>
<div class="sidebar">
<h3>热点新闻</h3>
<ul class="hot-list">
{sidebar}
</ul>
</div>"""
    title = f"{article.title}_{outlet}"
    charset = META_CHARSETS[article.charset]
    return _layout(title, charset, outlet, body, article.published.year)


def board_list_page(messages: Sequence[BoardMessage], page: int, total: int, now: datetime) -> str:
    """One page of the board's message list, newest first, with a pagination bar."""
    pages = max(1, -(-total // BOARD_PAGE_SIZE))
    items = "\n".join(_list_item(message, now) for message in messages)
    links = []
    if page > 1:
        links.append(f'<a class="prev" href="/board/list?page={page - 1}">上一页</a>')
    for number in range(max(1, page - 3), min(pages, page + 3) + 1):
        if number == page:
            links.append(f'<span class="current">{number}</span>')
        else:
            links.append(f'<a class="num" href="/board/list?page={number}">{number}</a>')
    if page < pages:
        links.append(f'<a class="next" href="/board/list?page={page + 1}">下一页</a>')
    body = f"""<div class="breadcrumb">当前位置：<a href="#">首页</a>
&gt; 江澜问政 &gt; 留言列表</div>
<div class="board">
<h2 class="board-title">网络问政 · 群众留言</h2>
<ul class="msg-list">
{items}
</ul>
<div class="pagination">{"".join(links)}
<span class="total">共{total}条 第{page}/{pages}页</span></div>
</div>"""
    return _layout(f"留言列表_第{page}页_江澜问政", "utf-8", "江澜问政", body, now.year)


def _list_item(message: BoardMessage, now: datetime) -> str:
    status = "已回复" if message.reply_at(now) else "未回复"
    return (
        f'<li class="msg"><a class="title" href="/board/thread/{message.id}.html">'
        f"{escape(message.title)}</a>"
        f'<span class="date">{_minute(message.published)}</span>'
        f'<span class="status">{status}</span></li>'
    )


def board_thread_page(message: BoardMessage, now: datetime) -> str:
    """One message with its reply, or a pending notice while the reply is not yet written."""
    reply = message.reply_at(now)
    if reply is None:
        reply_html = '<div class="reply pending">暂未回复</div>'
    else:
        reply_html = (
            f'<div class="reply"><span class="reply-dept">{escape(reply.dept)}</span>'
            f'<span class="reply-time">{_minute(reply.replied)}</span>'
            f'<div class="reply-body">{escape(reply.body)}</div></div>'
        )
    stamp = message.published.strftime("%Y-%m-%d %H:%M:%S")
    body = f"""<div class="breadcrumb">当前位置：<a href="#">首页</a>
&gt; <a href="/board/list?page=1">江澜问政</a> &gt; 留言详情</div>
<div class="thread">
<h1 class="msg-title">{escape(message.title)}</h1>
<div class="msg-meta">留言人：<span class="author">{escape(message.author)}</span>
留言时间：<span class="time">{stamp}</span>
所属区域：<span class="region">{message.region}</span>
问题类别：<span class="category">{message.category}</span></div>
<div class="msg-body">{escape(message.body)}</div>
<h3 class="reply-heading">答复内容</h3>
{reply_html}
</div>"""
    title = f"{message.title}_江澜问政"
    return _layout(title, "utf-8", "江澜问政", body, message.published.year)


def not_found_page(year: int) -> str:
    body = '<div class="error"><h1>404</h1><p>您访问的页面不存在或已被删除。</p></div>'
    return _layout("页面不存在", "utf-8", "江澜市", body, year)
