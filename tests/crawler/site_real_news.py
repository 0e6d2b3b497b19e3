"""Real feeds (tests/fixtures/real/feeds, origins in its SOURCE.md) served as their sites serve
them, and an article in three pages behind a feed.

No real article split into pages could be found in public repositories (articles/SOURCE.md
and NOTES.md say where the search went), so the paged article is made up here, in the markup
such portals use: a page list with a "下一页" link, pages named ``<name>-2.html``,
``<name>-3.html``.
"""

from __future__ import annotations

from pathlib import Path

from tests.crawler.server import Handler, Reply
from tests.crawler.site_news import page

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"


def _file(path: str, content_type: str) -> Handler:
    def reply(_query: dict[str, str]) -> Reply:
        return Reply((REAL / path).read_bytes(), content_type=content_type)

    return reply


PAGED_TITLE = "我市启动老旧小区改造三年行动"
PARAGRAPHS = [
    ["今年全市计划改造老旧小区120个，涉及居民4.2万户。", "改造内容包括管网更新、加装电梯。"],
    ["第二批改造项目将于6月开工，涉及青山区、滨湖区38个小区。", "各区将公示改造方案。"],
    ["居民可拨打12345热线反映改造中的问题。", "市住建局将每月通报进度。"],
]


def _pager(number: int) -> str:
    links = "".join(
        f'<a href="article-{n}.html">{n}</a>' if n > 1 else '<a href="article.html">1</a>'
        for n in range(1, 4)
    )
    following = f'<a class="next" href="article-{number + 1}.html">下一页</a>' if number < 3 else ""
    return f'<div class="zdfy clearfix">{links}{following}</div>'


def _paged(number: int) -> Handler:
    def reply(_query: dict[str, str]) -> Reply:
        byline = "发布时间：2019-06-15 08:18 来源：临江日报" if number == 1 else ""
        return Reply(page(PAGED_TITLE, PARAGRAPHS[number - 1], byline=byline, extra=_pager(number)))

    return reply


def _paged_feed(query: dict[str, str]) -> Reply:
    base = query.get("base", "")
    item = (
        f"<item><title>{PAGED_TITLE}</title><link>{base}/real/paged/article.html</link>"
        "<guid>paged-1</guid><pubDate>2019-06-16</pubDate>"
        "<description>今年全市计划改造老旧小区120个。</description></item>"
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>临江日报</title>'
        f"{item}</channel></rss>"
    )
    return Reply(body, content_type="application/rss+xml; charset=utf-8")


PAGES: dict[str, Handler] = {
    "/real/feeds/meituan.xml": _file("feeds/meituan_tech_rss.xml", "application/rss+xml"),
    "/real/feeds/v2ex.xml": _file("feeds/v2ex_index_atom.xml", "application/atom+xml"),
    "/real/paged/feed.xml": _paged_feed,
    "/real/paged/article.html": _paged(1),
    "/real/paged/article-2.html": _paged(2),
    "/real/paged/article-3.html": _paged(3),
}
ROUTES: dict[str, Handler] = dict(PAGES)
