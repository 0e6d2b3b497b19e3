"""Topics on microblog and board text as it really comes: emoticon codes, repost chains and
laughter that carry no topic, events that recur a year later, complaints that come back for
weeks, and history loaded after the fact.

The texts are written for these tests in the forms real Weibo threads and city message boards
use (`//@name:` chains, `[蜡烛]`, `回复@name:`, hashtags); the real data sets in ../shared/data
must not be copied into the project.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from api.database import session_scope
from api.hot_issues.models import HotIssuePost
from core.timezone import SHANGHAI
from tests.factories import Product, post_from

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)

MARATHON = (
    "#波士顿马拉松爆炸# 终点线附近连续两声爆炸，现场多人受伤，警方封锁了科普利广场[蜡烛][蜡烛]"
)
QUAKE = "#芦山地震# 四川芦山县发生7.0级地震，震中龙门乡房屋倒塌，救援队正赶往灾区[蜡烛][祈祷]"
# Replies that say nothing about either event.
EMPTY_REPLIES = [
    "[蜡烛]",
    "[蜡烛][蜡烛][蜡烛]",
    "[泪][泪]",
    "哈哈哈哈哈哈",
    "呵呵",
    "转发微博",
    "转发微博。",
    "//@小鱼儿:[蜡烛]",
    "回复@路人甲:[哈哈]",
    "@张三 @李四 [蜡烛]",
    "真的假的？",
    "一路走好[蜡烛]",
    "http://t.cn/zAbCdEf",
    "",
]


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Product]:
    p = Product(tmp_path, threshold=60)
    yield p
    p.close()


def _clusters(product: Product) -> dict[str, int]:
    with session_scope(product.engine) as session:
        rows = session.execute(select(HotIssuePost.post_id, HotIssuePost.hot_issue_id))
        return {post_id: hot_id for post_id, hot_id in rows}


def _thread(text: str, start: datetime, prefix: str, *, linked: bool) -> list:
    original = post_from("microblog", text, start, id=f"{prefix}:o")
    replies = [
        post_from(
            "microblog",
            reply,
            start + timedelta(minutes=2 + i),
            id=f"{prefix}:{i}",
            **({"is_repost_of": original.id} if linked else {}),
        )
        for i, reply in enumerate(EMPTY_REPLIES)
    ]
    return [original, *replies]


def test_emoticon_and_laughter_replies_neither_form_nor_bridge_topics(product: Product) -> None:
    marathon = _thread(MARATHON, NOW - timedelta(minutes=50), "m", linked=False)
    quake = _thread(QUAKE, NOW - timedelta(minutes=45), "q", linked=False)
    product.add(marathon + quake)

    result = product.job().run(now=NOW)

    clusters = _clusters(product)
    assert clusters["m:o"] != clusters["q:o"]
    # Without a link, a reply with no topic of its own is counted and left out of every topic.
    replies = [p.id for p in marathon[1:] + quake[1:]]
    assert not set(replies) & set(clusters)
    assert result.unassigned == len(replies)
    assert {clusters["m:o"], clusters["q:o"]} == set(clusters.values())


def test_linked_replies_join_their_originals_topic_and_only_it(product: Product) -> None:
    marathon = _thread(MARATHON, NOW - timedelta(minutes=50), "m", linked=True)
    quake = _thread(QUAKE, NOW - timedelta(minutes=45), "q", linked=True)
    product.add(marathon + quake)

    result = product.job().run(now=NOW)

    clusters = _clusters(product)
    assert {clusters[p.id] for p in marathon} == {clusters["m:o"]}
    assert {clusters[p.id] for p in quake} == {clusters["q:o"]}
    assert clusters["m:o"] != clusters["q:o"] and result.unassigned == 0
    labels = {h.id: h.title for h in product.hot()}
    # The label is the event's own words, never an emoticon or a reply.
    assert "[" not in labels[clusters["m:o"]] and "马拉松" in labels[clusters["m:o"]]


SUBWAY = [
    "地铁2号线早高峰故障停运，人民广场站大量乘客滞留",
    "2号线又停了，人民广场站挤满了人，地铁故障什么时候能修好",
    "地铁2号线故障，人民广场站限流，上班要迟到了",
]


def test_two_events_a_year_apart_never_share_a_topic(product: Product) -> None:
    last_year = NOW - timedelta(days=365)
    old = [
        post_from("microblog", t, last_year + timedelta(minutes=i)) for i, t in enumerate(SUBWAY)
    ]
    new = [post_from("microblog", t, NOW - timedelta(minutes=30 - i)) for i, t in enumerate(SUBWAY)]
    product.add(old + new)  # one backfill: both years in one pass

    product.job().run(now=NOW)

    clusters = _clusters(product)
    assert len({clusters[p.id] for p in old}) == 1
    assert len({clusters[p.id] for p in new}) == 1
    assert clusters[old[0].id] != clusters[new[0].id]
    rows = {h.id: h for h in product.hot()}
    assert rows[clusters[new[0].id]].merged_into is None


COMPLAINTS = [
    "翠湖花园小区旁边的搅拌站每天夜里施工，噪音太大，老人孩子都睡不着",
    "翠湖花园北门外搅拌站半夜还在作业，轰鸣声吵得整栋楼无法休息",
    "反映翠湖花园附近搅拌站夜间噪音扰民问题，已经持续一个多月了",
    "翠湖花园业主投诉：搅拌站凌晨两点还在装车，噪音和粉尘严重",
    "再次投诉翠湖花园旁搅拌站夜间施工噪音，之前的留言没有回复",
    "翠湖花园小区居民：搅拌站噪声扰民，晚上根本睡不了觉，请尽快处理",
]


def test_a_complaint_repeated_over_four_weeks_is_one_topic_over_the_alert_threshold(
    product: Product,
) -> None:
    start = NOW - timedelta(days=28)
    posts = [
        post_from("board", text, start + timedelta(days=5.5 * i), author=f"居民{i}")
        for i, text in enumerate(COMPLAINTS)
    ]
    # The job runs every day, and restarts each time (it knows only what the database holds),
    # while the complaints come in days apart.
    pending = list(posts)
    for day in range(30):
        now = start + timedelta(days=day, hours=23)
        while pending and pending[0].published_at <= now:
            product.add([pending.pop(0)])
        product.job().run(now=now)
    assert not pending

    clusters = _clusters(product)
    [hot_id] = {clusters[p.id] for p in posts}
    [hot] = [h for h in product.hot() if h.id == hot_id]
    assert hot.flagged_at is not None and hot.peak_score is not None
    assert hot.peak_score >= product.settings.alerts.threshold
    [persistent] = [s for s in hot.signals if s["name"] == "persistent"]
    assert persistent["fired"] and persistent["detail"]["complainants"] == 6
    place = persistent["detail"]["place"]
    assert place in ("翠湖花园", "搅拌站")  # the names every one of the complaints carries
    assert any(line.startswith(f"持续投诉（{place}）：6人6条") for line in hot.explanation)
    assert "翠湖花园" in hot.title or "搅拌站" in hot.title
