"""The 江澜市 demo site: volume, determinism, each endpoint's shape, and time-based visibility."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime

import openpyxl
import pytest

from core.timezone import SHANGHAI
from yuqing.demo.site import Site, build_site, serve
from yuqing.demo.site.hotline_export import COLUMNS

TODAY = date(2025, 3, 18)
NOON = datetime(2025, 3, 18, 12, 0, tzinfo=SHANGHAI)
ATOM = "{http://www.w3.org/2005/Atom}"
INCIDENT_WORDS = {
    "water": ("停水", "供水", "来水", "黄水", "水质", "爆管"),
    "school": ("学区", "划片", "入学", "过渡期"),
    "odour": ("异味", "化工", "气味", "味道"),
}


@dataclass
class Clock:
    now: datetime = NOON

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(TODAY)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def at_noon(clock: Clock) -> None:
    clock.now = NOON


@pytest.fixture(scope="module")
def get(site: Site, clock: Clock) -> Iterator:
    server, thread = serve(port=0, site=site, clock=clock)
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def fetch(path: str) -> Reply:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as reply:
                return Reply(reply.status, reply.headers, reply.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read())

    yield fetch
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def board_pages(get) -> Iterator[str]:
    path = "/board/list?page=1"
    while path:
        reply = get(path)
        assert reply.status == 200
        html = reply.text()
        yield html
        found = re.search(r'<a class="next" href="([^"]+)">下一页</a>', html)
        path = found.group(1) if found else ""


def timeline(get) -> Iterator[dict]:
    path = "/api/weibo/timeline"
    while path:
        data = get(path).json()
        assert data["ok"] == 1
        yield from data["data"]["statuses"]
        cursor = data["data"]["next_max_id"]
        path = f"/api/weibo/timeline?max_id={cursor}" if cursor else ""


def test_volume_and_speed() -> None:
    started = time.perf_counter()
    site = build_site(TODAY)
    assert time.perf_counter() - started < 2.0
    assert site.total >= 2000
    assert (len(site.board), len(site.microblog), len(site.hotline)) == (700, 800, 400)
    outlets = Counter(article.outlet for article in site.news)
    assert outlets["daily"] >= 200 and outlets["media"] >= 90
    assert 0.15 <= sum(s.retweeted is not None for s in site.microblog) / 800 <= 0.25


def test_same_day_same_content_and_dates_move_with_the_day(site: Site) -> None:
    again = build_site(TODAY)
    for name in ("news", "board", "microblog", "hotline"):
        assert getattr(again, name) == getattr(site, name)
    later = build_site(TODAY + timedelta(days=1))
    assert [m.body for m in later.board] == [m.body for m in site.board]
    pairs = zip(later.board, site.board, strict=True)
    assert all(m.published - m0.published == timedelta(days=1) for m, m0 in pairs)


def test_reposts_share_originals_and_campaigns_repeat_a_text(site: Site) -> None:
    originals = Counter(s.retweeted.id for s in site.microblog if s.retweeted is not None)
    assert originals.most_common(1)[0][1] >= 3
    for status in site.microblog:
        if status.retweeted is not None:
            assert status.retweeted.published < status.published
            assert status.retweeted.reposts >= originals[status.retweeted.id]
    pasted = [s for s in site.microblog if "公开划片依据和学位测算数据" in s.text]
    assert len({s.user.id for s in pasted}) >= 10


def test_hotline_carries_personal_data_to_mask(site: Site) -> None:
    text = " ".join(order.content for order in site.hotline)
    assert re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    assert re.search(r"(?<!\d)\d{4}-\d{8}(?!\d)", text)
    assert re.search(r"(?<!\d)\d{17}[\dX](?!\d)", text)
    assert re.search(r"(?<!\d)62\d{14}(\d{3})?(?!\d)", text)


def test_robots_and_unknown_paths(get) -> None:
    robots = get("/robots.txt")
    assert robots.status == 200 and "Disallow: /admin/" in robots.text()
    for path in ("/", "/admin/", "/news/article/1.html", "/board/thread/1.html", "/x.json"):
        assert get(path).status == 404, path
    assert get("/board/list?page=0").status == 400
    assert get("/api/weibo/search?page=1").status == 400


def test_rss_feed(get, site: Site) -> None:
    reply = get("/news/rss.xml")
    assert reply.headers.get_content_type() == "application/rss+xml"
    channel = ET.fromstring(reply.body).find("channel")
    items = channel.findall("item")
    assert len(items) == site.visible_counts(NOON)["news_rss"] == 200
    for item in items:
        link = item.findtext("link")
        article_id = re.fullmatch(r"http://127\.0\.0\.1:\d+/news/article/(\d+)\.html", link)
        assert article_id and item.findtext("guid") == article_id.group(1)
        assert item.findtext("title") and item.findtext("description")
        published = parsedate_to_datetime(item.findtext("pubDate"))
        assert published.utcoffset() == timedelta(hours=8) and published <= NOON


def test_atom_feed(get, site: Site) -> None:
    feed = ET.fromstring(get("/news/district.atom").body)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == site.visible_counts(NOON)["news_atom"] >= 80
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}title")
        assert entry.find(f"{ATOM}link").get("href").endswith(".html")
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) <= NOON
        assert entry.findtext(f"{ATOM}summary")


def test_article_page(get, site: Site) -> None:
    article = next(a for a in site.news if a.charset == "utf-8" and a.published <= NOON)
    reply = get(f"/news/article/{article.id}.html")
    assert reply.headers.get_content_charset() == "utf-8"
    html = reply.text()
    content = re.search(r'<div class="article-content">(.*?)</div>', html, re.S).group(1)
    assert content.count("<p>") >= 3
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d 来源：江澜日报", html)
    assert "责任编辑：" in html and "版权所有" in html and 'class="breadcrumb"' in html
    assert html.count("/news/article/") >= 5  # the sidebar links to other articles


def test_gbk_and_mislabelled_articles(get, site: Site) -> None:
    gbk = next(a for a in site.news if a.charset == "gbk" and a.published <= NOON)
    reply = get(f"/news/article/{gbk.id}.html")
    assert reply.headers["Content-Type"] == "text/html; charset=gbk"
    assert gbk.title in reply.body.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")
    liar = next(a for a in site.news if a.charset == "mislabelled" and a.published <= NOON)
    reply = get(f"/news/article/{liar.id}.html")
    assert reply.headers.get_content_charset() is None
    html = reply.body.decode("utf-8")
    assert '<meta charset="gb2312">' in html and liar.title in html


def test_board_pagination_reaches_the_last_page(get, site: Site) -> None:
    ids, sizes = [], []
    for html in board_pages(get):
        items = re.findall(
            r'<li class="msg"><a class="title" href="/board/thread/(\d+)\.html">', html
        )
        assert re.findall(r'<span class="status">(已回复|未回复)</span>', html)
        sizes.append(len(items))
        ids += items
    assert all(size == 20 for size in sizes[:-1]) and 0 < sizes[-1] <= 20
    assert sum(sizes) == len(set(ids)) == site.visible_counts(NOON)["board"]
    assert get(f"/board/list?page={len(sizes) + 1}").status == 404


def test_board_thread(get, site: Site) -> None:
    replied = next(m for m in site.board if m.reply and m.reply.replied <= NOON)
    html = get(f"/board/thread/{replied.id}.html").text()
    assert re.search(r'<span class="time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</span>', html)
    assert f'<span class="region">{replied.region}</span>' in html
    assert f'<span class="category">{replied.category}</span>' in html
    assert '<div class="msg-body">' in html and '<span class="author">' in html
    assert f'<span class="reply-dept">{replied.reply.dept}</span>' in html
    assert '<div class="reply-body">' in html
    unanswered = next(m for m in site.board if m.reply is None and m.published <= NOON)
    html = get(f"/board/thread/{unanswered.id}.html").text()
    assert '<div class="reply pending">暂未回复</div>' in html


def test_board_reply_appears_once_written(get, site: Site, clock: Clock) -> None:
    message = next(m for m in site.board if m.reply and m.reply.replied <= NOON)
    clock.now = message.published + (message.reply.replied - message.published) / 2
    assert "暂未回复" in get(f"/board/thread/{message.id}.html").text()
    clock.now = message.reply.replied
    assert message.reply.dept in get(f"/board/thread/{message.id}.html").text()


def test_microblog_cursor_visits_every_visible_status_once(get, site: Site) -> None:
    statuses = list(timeline(get))
    ids = [status["id"] for status in statuses]
    assert len(ids) == len(set(ids)) == site.visible_counts(NOON)["microblog"]
    assert ids == sorted(ids, key=int, reverse=True)
    first = statuses[0]
    assert set(first) >= {"id", "created_at", "text", "user", "reposts_count", "region_name"}
    assert set(first["user"]) >= {"id", "screen_name", "verified", "verified_type"}
    reposts = [s for s in statuses if "retweeted_status" in s]
    assert reposts and all(s["retweeted_status"]["id"] < s["id"] for s in reposts)
    shapes = {
        "relative": r"\d+(分钟|小时)前|刚刚",
        "yesterday": r"昨天 \d\d:\d\d",
        "month-day": r"\d\d-\d\d",
        "full": r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \+0800 \d{4}",
    }
    for name, shape in shapes.items():
        assert any(re.fullmatch(shape, s["created_at"]) for s in statuses), name
    assert any("<br />" in s["text"] for s in statuses)
    assert any('<span class="surl-text">#' in s["text"] for s in statuses)


def test_microblog_search_pages(get) -> None:
    page, texts = 1, []
    while True:
        data = get(f"/api/weibo/search?q=%E5%81%9C%E6%B0%B4&page={page}").json()["data"]
        assert data["page"] == page
        texts += [re.sub(r"<[^>]+>", "", card["mblog"]["text"]) for card in data["cards"]]
        if not data["has_more"]:
            break
        page += 1
    assert page > 2 and all("停水" in text for text in texts)


def test_hotline_exports(get, site: Site) -> None:
    expected = site.visible_counts(NOON)["hotline"]
    reply = get("/hotline/export.csv")
    assert reply.headers.get_content_charset() == "gbk"
    rows = list(csv.DictReader(io.StringIO(reply.body.decode("gbk"))))
    assert len(rows) == expected and tuple(rows[0]) == COLUMNS
    assert {row["来源渠道"] for row in rows} == {"电话", "网站", "微信", "APP"}
    assert {row["办理状态"] for row in rows} == {"办理中", "已办结"}
    assert all(row["答复内容"] for row in rows if row["办理状态"] == "已办结")
    sheet = openpyxl.load_workbook(io.BytesIO(get("/hotline/export.xlsx").body)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == COLUMNS and len(table) == expected + 1
    records = get("/hotline/export.json").json()
    assert len(records) == expected and all(tuple(r) == COLUMNS for r in records)
    assert records[0]["工单编号"] == rows[0]["工单编号"]


def test_incidents_reach_every_source(get) -> None:
    news = get("/news/rss.xml").text() + get("/news/district.atom").text()
    board = "".join(board_pages(get))
    hotline = get("/hotline/export.csv").body.decode("gbk")
    for incident, words in INCIDENT_WORDS.items():
        for source, text in (("news", news), ("board", board), ("hotline", hotline)):
            assert sum(text.count(word) for word in words) >= 3, (incident, source)
        found = get(f"/api/weibo/search?q={urllib.parse.quote(words[0])}").json()
        assert found["data"]["cards"], incident


def test_future_items_are_not_served(get, site: Site) -> None:
    counts = site.visible_counts(NOON)
    assert counts["board"] < len(site.board) and counts["microblog"] < len(site.microblog)
    article = next(a for a in reversed(site.news) if a.published > NOON)
    assert get(f"/news/article/{article.id}.html").status == 404
    assert (
        f"/news/article/{article.id}.html"
        not in get("/news/district.atom").text() + get("/news/rss.xml").text()
    )
    message = next(m for m in reversed(site.board) if m.published > NOON)
    assert get(f"/board/thread/{message.id}.html").status == 404
    status = next(s for s in reversed(site.microblog) if s.published > NOON)
    assert status.id not in {s["id"] for s in timeline(get)}
    order = next(o for o in reversed(site.hotline) if o.published > NOON)
    assert order.number not in get("/hotline/export.json").text()


def test_module_serves_in_the_foreground_with_the_real_clock() -> None:
    command = [sys.executable, "-m", "yuqing.demo.site", "--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        started = re.search(r"\d{4} items at (http://127\.0\.0\.1:\d+)/", process.stderr.readline())
        assert started and "visible now:" in process.stderr.readline()
        with urllib.request.urlopen(f"{started.group(1)}/api/weibo/timeline", timeout=10) as reply:
            assert json.loads(reply.read())["data"]["statuses"]
    finally:
        process.terminate()
        process.wait(timeout=10)
