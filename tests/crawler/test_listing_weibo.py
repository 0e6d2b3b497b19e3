"""Real m.weibo.cn replies read by configuration alone (tests/crawler/site_weibo.py says what
is real): every field, the full long text, engagement refreshed on a later crawl, and one bad
item failing alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml

from core.timezone import SHANGHAI
from crawler.normalize import html_to_text
from tests.crawler import site_weibo
from tests.crawler.blocks import OFFLINE
from tests.crawler.harness import Bench
from tests.crawler.server import FixtureServer

# As a user writes it in sources.yaml ({base} stands for https://m.weibo.cn).
WEIBO_YAML = """
name: weibo
kind: microblog
api_url: "{base}/weibo/api/container/getIndex?containerid=1076031669879400"
items_path: data.cards
item_filter: {{card_type: 9}}
item_path: mblog
pagination: {{type: page, param: page}}
fields:
  id: id
  text: text
  published_at: created_at
  author: user.screen_name
  author_verified: user.verified
  reposts: reposts_count
  comments: comments_count
  likes: attitudes_count
  region: region_name
  repost_of: retweeted_status
url_template: "https://m.weibo.cn/status/{{id}}"
long_text:
  url_template: "{base}/weibo/statuses/extend?id={{id}}"
  text_path: data.longTextContent
  when_path: isLongText
refresh_hours: 48
"""
# The day after the newest post: "06-14" is this year's 14 June.
NOW = datetime(2019, 6, 16, 12, 0, tzinfo=SHANGHAI)
FULL_TEXT = html_to_text(
    site_weibo.real("weibo/statuses_show_retweet_longtext.json")["data"]["retweeted_status"][
        "longText"
    ]["longTextContent"]
)


def weibo(base: str, **extra: Any) -> dict[str, Any]:
    block: dict[str, Any] = yaml.safe_load(WEIBO_YAML.format(base=base))
    return {**block, **extra}


@pytest.fixture(autouse=True)
def as_saved() -> Iterator[None]:
    site_weibo.reset()
    yield
    site_weibo.reset()


def test_each_field_of_the_real_timeline(bench: Bench) -> None:
    summary, walk = bench.walk(weibo(OFFLINE), now=NOW)
    # 4 posts of the saved page, the repost on page 1, and the two originals they repost.
    assert summary.line().startswith("weibo: 7 items, 7 new, 0 updated, 0 unchanged, 0 failed")
    assert summary.status == "ok"
    base = f"{OFFLINE}/weibo/api/container/getIndex?containerid=1076031669879400"
    assert walk.fetched == [
        f"{base}&page=1",
        f"{OFFLINE}/weibo/statuses/extend?id={site_weibo.LONG_ID}",
        f"{base}&page=2",
        f"{base}&page=3",
    ]
    store = bench.store

    emoji = store.get("weibo:4383183661430868")
    assert emoji.text == "搬完这块砖，就可以吃好吃的了[偷笑][偷笑][偷笑]"
    assert emoji.url == "https://m.weibo.cn/status/4383183661430868"
    assert emoji.published_at == datetime(2019, 6, 14, tzinfo=SHANGHAI)
    assert emoji.published_precision == "day"
    assert emoji.author == "Dear-迪丽热巴" and emoji.author_verified is True
    assert emoji.engagement.model_dump() == {
        "reposts": 240492,
        "comments": 95535,
        "likes": 348872,
    }
    assert emoji.is_repost_of is None and emoji.text_truncated is None

    video = store.get("weibo:4382054705416396")
    assert video.text == "#不潮不出街#悠闲下午时光～"  # the 秒拍 video card is gone
    assert video.published_at == datetime(2019, 6, 11, tzinfo=SHANGHAI)

    mentions = store.get("weibo:4379825714272349")
    assert mentions.text == (
        "#蓝天保卫战我是行动者# 我承诺使用环保购物袋代替一次性塑料袋，助力蓝天。"
        "#和地球自拍#@联合国环境规划署 @星光公益联盟"
    )

    repost = store.get("weibo:4383180406740606")
    assert repost.text == "大家一起电影院约起来啊～～～"
    assert repost.is_repost_of == "weibo:4383031864995274"
    original = store.get("weibo:4383031864995274")
    assert original.text == "写在《秦明·生死语者》上映这一天……\n#614致敬法医##首部法医秦明大电影#"
    assert original.author == "代斯daisy" and original.author_verified is True
    assert original.engagement.model_dump() == {"reposts": 45947, "comments": 1190, "likes": 6839}
    assert original.url == "https://m.weibo.cn/status/4383031864995274"

    newest = store.get("weibo:4383411844046171")
    assert newest.text == "转发微博"
    assert newest.published_at == datetime(2019, 6, 15, 11, 44, 46, tzinfo=SHANGHAI)
    assert newest.published_precision == "second"
    assert newest.author == "九月九的晴天" and newest.author_verified is False
    assert newest.is_repost_of == f"weibo:{site_weibo.LONG_ID}"

    long = store.get(f"weibo:{site_weibo.LONG_ID}")
    assert long.text == FULL_TEXT and len(long.text) == 1363  # not the list's cut 200
    assert long.text_truncated is None
    assert long.author == "upupming"
    assert long.published_at == datetime(2019, 6, 15, 11, 16, 35, tzinfo=SHANGHAI)
    assert long.engagement.model_dump() == {"reposts": 1, "comments": 0, "likes": 0}
    assert bench.quarantined("weibo") == []


def test_a_long_text_whose_detail_fails_keeps_the_list_text_marked_cut(bench: Bench) -> None:
    block = weibo(OFFLINE)
    block["long_text"]["url_template"] = f"{OFFLINE}/weibo/statuses/gone?id={{id}}"
    summary, walk = bench.walk(block, now=NOW)
    assert summary.status == "partial"  # the detail's 404 is reported
    assert summary.errors == [f"{OFFLINE}/weibo/statuses/gone?id={site_weibo.LONG_ID}: HTTP 404"]
    cut = bench.store.get(f"weibo:{site_weibo.LONG_ID}")
    assert cut.text_truncated is True
    assert cut.text.endswith("⛓️⛔⛩️ ...") and "全文" not in cut.text
    # Handed out once, after the follow: 7 items, as with the full text.
    assert summary.items_seen == 7


def test_without_when_path_the_truncation_mark_decides(bench: Bench) -> None:
    block = weibo(OFFLINE)
    del block["long_text"]["when_path"]
    bench.walk(block, now=NOW)
    assert bench.store.get(f"weibo:{site_weibo.LONG_ID}").text == FULL_TEXT
    assert bench.pages.hits["/weibo/statuses/extend"] == 1  # only the cut one is followed


def test_card_paths_reach_outside_the_item(bench: Bench) -> None:
    block = weibo(OFFLINE, url_template=None)
    block["fields"]["url"] = "../scheme"
    bench.walk(block, now=NOW)
    emoji = bench.store.get("weibo:4383183661430868")
    assert emoji.url == (
        "https://m.weibo.cn/status/HyTZc60ew?mblogid=HyTZc60ew&luicode=10000011"
        "&lfid=1076031669879400"
    )
    # A reposted original has no card of its own, and no template here: no URL.
    assert bench.store.get("weibo:4383031864995274").url is None


def test_one_unmappable_item_fails_alone(bench: Bench) -> None:
    block = weibo(OFFLINE, name="broken")
    block["api_url"] = f"{OFFLINE}/weibo/broken/getIndex"
    summary, walk = bench.walk(block, now=NOW)
    assert summary.line().startswith("broken: 5 items, 3 new, 0 updated, 0 unchanged, 2 failed")
    assert [url.rsplit("=", 1)[1] for url in walk.fetched] == ["1", "2"]  # paging went on
    reasons = {q["reason"] for q in bench.quarantined("broken")}
    assert reasons == {
        "repost_of: published_at: nothing at 'created_at'",
        "published_at: unknown time format: 'sometime'",
    }
    # The repost whose original is spoiled stands, without its link.
    repost = bench.store.get("broken:4383180406740606")
    assert repost.text == "大家一起电影院约起来啊～～～" and repost.is_repost_of is None
    assert bench.store.get("broken:4382054705416396") is None
    assert bench.store.get("broken:4379825714272349") is not None


def test_a_later_crawl_refreshes_engagement_in_the_window_and_stops_beyond(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    block = weibo(fixture_server.url)
    first = bench.crawl(block, now=NOW)["weibo"]
    assert first.line().startswith("weibo: 7 items, 7 new, 0 updated, 0 unchanged, 0 failed")
    assert fixture_server.hits["/weibo/api/container/getIndex"] == 3

    site_weibo.refreshed()
    later = bench.crawl(block, now=NOW + timedelta(hours=1))["weibo"]
    # In the 48 hours: the two posts of 15 June with their originals, and the two of 14 June
    # (each of them all that day); the post of 11 June is known and older, so paging stops.
    assert later.line().startswith("weibo: 5 items, 0 new, 3 updated, 2 unchanged, 0 failed")
    assert fixture_server.hits["/weibo/api/container/getIndex"] == 3 + 2
    store = bench.store
    assert store.get("weibo:4383411844046171").engagement.model_dump() == {
        "reposts": 5,
        "comments": 7,
        "likes": 11,
    }
    long = store.get(f"weibo:{site_weibo.LONG_ID}")
    assert long.engagement.likes == 4 and long.text == FULL_TEXT
    assert store.get("weibo:4383183661430868").engagement.likes == 349_000
    assert store.get("weibo:4382054705416396").engagement.likes == 279961  # beyond: as it was
    assert bench.recorder.marks["weibo"].last_seen_id == "4383411844046171"

    # Without a window a later crawl reads page 1 and stops.
    again = bench.crawl(weibo(fixture_server.url, refresh_hours=0), now=NOW)["weibo"]
    assert again.line().startswith("weibo: 0 items, 0 new")
    assert fixture_server.hits["/weibo/api/container/getIndex"] == 3 + 2 + 1
