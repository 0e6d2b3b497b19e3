"""Fixture routes of a city news portal: RSS and Atom feeds, and article pages gone wrong."""

from __future__ import annotations

import random
import time
from xml.sax.saxutils import escape

from tests.crawler.server import Handler, Reply

# Runs (the feed's ``run`` query value) that the busy page has already turned away once.
STATE: dict[str, set[str]] = {"busy_runs": set()}


def reset() -> None:
    STATE["busy_runs"].clear()


NAV = (
    '<div class="nav"><a href="/">首页</a> | <a href="/news/">要闻</a> | '
    '<a href="/map.html">网站地图</a></div>'
)
SIDEBAR = (
    '<div class="sidebar"><h3>热点排行</h3><ul><li><a href="/x/1.html">临江区开展汛期安全大检查'
    '</a></li><li><a href="/x/2.html">市民热线本周受理情况通报</a></li></ul></div>'
)
FOOTER = (
    '<div class="footer"><p>版权所有：临江市人民政府办公室 主办单位：临江市政务服务中心</p>'
    "<p>网站标识码 0000000000 联系我们</p></div>"
)


def page(
    title: str, paragraphs: list[str], *, head: str = "", byline: str = "", extra: str = ""
) -> str:
    """An article page with the menus, sidebar and footer that real portals wrap it in."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{head}<title>{title}_临江市人民政府</title></head><body>"
        f'{NAV}<div class="main"><h1>{title}</h1><div class="info">{byline}</div>'
        f'<div class="article-content">{body}</div>{extra}</div>{SIDEBAR}{FOOTER}</body></html>'
    )


ROAD = [
    "市交通运输局介绍，人民路综合改造工程已完成管线迁改，进入路面施工阶段。",
    "改造期间人民路实行单向通行，公交3路、12路临时改道，沿线设置了绕行指示牌。",
    "工程预计五月底完工，届时人民路将新增非机动车道和两处过街天桥。",
]
WATER = [
    "临江区水务部门通报，城东水厂扩建工程本周通水试运行，日供水能力提高到二十万吨。",
    "试运行期间部分高层住户可能出现水压波动，物业已在楼道张贴提示并安排人员值守。",
]
LABEL = [
    "这个页面仍声明旧的国标编码，实际内容早已按统一码保存，浏览器按声明解码就会乱码。",
    "市数据局表示，门户网站改版后所有栏目页面的编码声明将在年内统一更新。",
]
SLOW = [
    "市应急管理局发布提醒，本周后期有一次强降雨过程，低洼路段可能出现积水。",
    "请市民关注预警信息，雨天尽量减少外出，驾车绕开下穿通道。",
]
BUSY = [
    "市医保局宣布，异地就医直接结算备案改为线上办理，最快当天即可完成。",
    "参保人员可通过政务服务平台或医保小程序提交申请，无需再到窗口排队。",
]
PRIVATE = ["这一段只在文章页上出现，遵守机器人协议的抓取不会读到它。"]
SELECTED = [
    "供热公司回应：老旧小区供热管网改造已列入今年民生实事项目。",
    "改造完成后，室温不达标的投诉将由热线统一受理、限时办结。",
]


def _article(paragraphs: list[str], title: str, byline: str = "") -> Reply:
    return Reply(page(title, paragraphs, byline=byline))


def gbk_page(query: dict[str, str]) -> Reply:
    html = page("城东水厂扩建工程通水试运行", WATER, byline="发布时间：2025-03-18 09:15")
    return Reply(html.encode("gbk"), content_type="text/html; charset=gbk")


def mislabelled_page(query: dict[str, str]) -> Reply:
    # No charset in the header, so only the (wrong) meta tag declares one.
    html = page("门户网站编码声明将统一更新", LABEL, head='<meta charset="gb2312">')
    return Reply(html.encode("utf-8"), content_type="text/html")


def garbage_page(query: dict[str, str]) -> Reply:
    noise = random.Random(20250318).randbytes(4000)
    return Reply(noise, content_type="text/html")


def truncated_page(query: dict[str, str]) -> Reply:
    html = page(
        "滨江路临时交通管制", ["滨江路临时交通管制将持续到本月底，请市民提前规划出行路线。"]
    )
    return Reply(html[: html.index("提前规划")])


def slow_article(query: dict[str, str]) -> Reply:
    return _article(SLOW, "本周后期有强降雨过程")


def busy_article(query: dict[str, str]) -> Reply:
    return _article(BUSY, "异地就医备案改为线上办理")


def slow_page(query: dict[str, str]) -> Reply:
    time.sleep(1.0)
    return slow_article(query)


def busy_page(query: dict[str, str]) -> Reply:
    """Turns each run (the ``run`` query value) away once with a 429 and Retry-After."""
    run = query.get("run", "")
    if run not in STATE["busy_runs"]:
        STATE["busy_runs"].add(run)
        return Reply("too many requests", status=429, headers={"Retry-After": "1"})
    return busy_article(query)


def selector_page(query: dict[str, str]) -> Reply:
    # The configured selector must win over whatever the generic extractor would take.
    html = page(
        "老旧小区供热管网改造列入民生实事",
        ["编者按：以下为供热公司书面回复全文。"],
        byline="发布时间：2025-03-17 09:30",
        extra='<div class="zw">' + "".join(f"<p>{p}</p>" for p in SELECTED) + "</div>",
    )
    return Reply(html)


def rss(items: list[dict[str, str]]) -> str:
    entries = "".join(
        "<item>"
        + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in item.items() if k != "guid")
        + f'<guid isPermaLink="false">{item["guid"]}</guid></item>'
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>临江市人民政府 要闻</title><link>/news/</link>{entries}</channel></rss>"
    )


def rss_feed(query: dict[str, str]) -> Reply:
    run = query.get("run", "")

    def entry(n: int, path: str, title: str, when: str) -> dict[str, str]:
        return {
            "guid": f"lj-{n}",
            "title": title,
            "link": path,
            "pubDate": when,
            "description": f"<p>摘要{n}：{title}。</p>",
        }

    items = [
        entry(1, "/news/a/road.html", "人民路改造进入路面施工", "Tue, 18 Mar 2025 02:23:00 GMT"),
        entry(2, "/news/a/gbk.html", "城东水厂扩建工程通水试运行", "Tue, 18 Mar 2025 01:15:00 GMT"),
        entry(3, "/news/a/label.html", "门户网站编码声明将统一更新", "Mon, 17 Mar 2025 08:00 GMT"),
        entry(4, "/news/a/garbage.html", "城区停车收费标准听证会", "Mon, 17 Mar 2025 07:00 GMT"),
        entry(5, "/news/a/truncated.html", "滨江路临时交通管制", "Mon, 17 Mar 2025 06:00 GMT"),
        entry(6, "/news/a/slow.html", "本周后期有强降雨过程", "Mon, 17 Mar 2025 05:00 GMT"),
        entry(
            7, f"/news/a/busy.html?run={run}", "异地就医备案改为线上办理", "17 Mar 2025 04:00 +0000"
        ),
    ]
    return Reply(rss(items), content_type="application/rss+xml; charset=utf-8")


ATOM_ENTRIES = (
    # Zone-less, as Chinese CMSs write it: Beijing time.
    ("tag:linjiang.gov,2025:101", "/news/b/101.html", "2025-03-18 10:23",
     "政务服务中心延长周末办事时间", "自本周起，市政务服务中心周六全天开放，办理社保等高频事项。"),
    ("tag:linjiang.gov,2025:102", "/news/b/102.html", "2025-03-17T16:00:00+08:00",
     "老城区燃气管道更新改造启动", "首批改造涉及十二个小区，施工期间将提前三天张贴停气通知。"),
    ("tag:linjiang.gov,2025:103", None, "2025-03-17T12:00:00+08:00",
     "没有链接的条目", "这个条目缺少链接，应当进入隔离区。"),
    ("tag:linjiang.gov,2025:104", "/news/b/104.html", "2025-13-45T99:00:00+08:00",
     "日期错误的条目", "这个条目的日期不存在，应当进入隔离区。"),
    ("tag:linjiang.gov,2025:105", "/news/b/105.html", "2025-03-16T08:30:00Z",
     "城市书房新增三处", "新增的城市书房分布在临江、城东和高新区，开放时间为每天早九点到晚九点。"),
)  # fmt: skip


def atom_feed(query: dict[str, str]) -> Reply:
    entries = "".join(
        f"<entry><id>{eid}</id><title>{escape(title)}</title>"
        + (f'<link rel="alternate" href="{link}"/>' if link else "")
        + f"<updated>{when}</updated>"
        + f'<content type="html">{escape(f"<p>{text}</p>")}</content></entry>'
        for eid, link, when, title, text in ATOM_ENTRIES
    )
    xml = (
        '<?xml version="1.0" encoding="gbk"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>临江市政务公开</title><id>tag:linjiang.gov,2025:feed</id>"
        f"<updated>2025-03-18T10:23:00+08:00</updated>{entries}</feed>"
    )
    return Reply(xml.encode("gbk"), content_type="application/atom+xml")


def private_feed(query: dict[str, str]) -> Reply:
    items = [
        {
            "guid": f"p-{n}",
            "title": f"机器人协议测试{n}",
            "link": f"/news/private/{n}.html",
            "pubDate": f"Mon, 17 Mar 2025 0{n}:00:00 GMT",
            "description": f"摘要：只有摘要可以收录{n}。",
        }
        for n in (1, 2)
    ]
    return Reply(rss(items), content_type="application/rss+xml")


def selector_feed(query: dict[str, str]) -> Reply:
    items = [
        # No date in the feed: the article page has to supply it.
        {"guid": "s-1", "title": "供热管网改造", "link": "/news/sel/one.html",
         "description": "摘要：供热管网改造。"},
        {"guid": "s-2", "title": "已经删除的稿件", "link": "/news/sel/gone.html",
         "pubDate": "Mon, 17 Mar 2025 01:00:00 GMT", "description": "摘要：稿件已删除。"},
    ]  # fmt: skip
    return Reply(rss(items), content_type="application/rss+xml")


# What the portal's pages are (built in-process for spider tests) ...
PAGES: dict[str, Handler] = {
    "/robots.txt": lambda q: Reply(
        "User-agent: *\nDisallow: /news/private/\n", content_type="text/plain"
    ),
    "/news/rss.xml": rss_feed,
    "/news/atom.xml": atom_feed,
    "/news/private-feed.xml": private_feed,
    "/news/sel/feed.xml": selector_feed,
    "/news/a/road.html": lambda q: _article(ROAD, "人民路改造进入路面施工", "2025-03-18 10:23"),
    "/news/a/gbk.html": gbk_page,
    "/news/a/label.html": mislabelled_page,
    "/news/a/garbage.html": garbage_page,
    "/news/a/truncated.html": truncated_page,
    "/news/a/slow.html": slow_article,
    "/news/a/busy.html": busy_article,
    "/news/private/1.html": lambda q: _article(PRIVATE, "机器人协议测试1"),
    "/news/private/2.html": lambda q: _article(PRIVATE, "机器人协议测试2"),
    "/news/sel/one.html": selector_page,
}
# ... and how the served portal behaves (for Scrapy's engine): a slow page, a busy one.
ROUTES: dict[str, Handler] = {
    **PAGES,
    "/news/a/slow.html": slow_page,
    "/news/a/busy.html": busy_page,
}
