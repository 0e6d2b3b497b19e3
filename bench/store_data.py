"""Synthetic posts for the store benchmark: the 100,000-post list of the quoted figures, and the
large stream of the scale run, made batch by batch from a seed so it is never held whole."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from core.timezone import SHANGHAI

START = datetime(2025, 1, 1, tzinfo=SHANGHAI)

# Each subject, place and phrase with the words the per-post analysis would store as tokens.
SUBJECTS = {
    "停水": ("停水",),
    "拆迁补偿": ("拆迁", "补偿"),
    "施工噪音": ("施工", "噪音"),
    "学校划片": ("学校", "划片"),
    "公交线路": ("公交", "线路"),
    "燃气泄漏": ("燃气", "泄漏"),
    "道路积水": ("道路", "积水"),
    "医保报销": ("医保", "报销"),
    "物业纠纷": ("物业", "纠纷"),
    "垃圾清运": ("垃圾", "清运"),
    "违章停车": ("违章", "停车"),
    "菜价上涨": ("菜价", "上涨"),
    "供暖不足": ("供暖", "不足"),
    "电梯故障": ("电梯", "故障"),
}
PLACES = {
    "幸福路": ("幸福路",),
    "人民大道": ("人民", "大道"),
    "黄河南路": ("黄河", "南路"),
    "洪泽湖路": ("洪泽湖", "路"),
    "发展大道": ("发展", "大道"),
    "西湖路": ("西湖", "路"),
    "青海湖路": ("青海湖", "路"),
    "宿城区": ("宿城区",),
    "宿豫区": ("宿豫区",),
    "沭阳县": ("沭阳县",),
    "泗阳县": ("泗阳县",),
    "泗洪县": ("泗洪县",),
    "经开区": ("经开区",),
    "湖滨新区": ("湖滨", "新区"),
}
PHRASES = {
    "情况严重": ("情况", "严重"),
    "多次反映无人处理": ("多次", "反映", "无人", "处理"),
    "希望有关部门尽快解决": ("希望", "有关部门", "尽快", "解决"),
    "居民生活受到影响": ("居民", "生活", "受到", "影响"),
    "已经持续一周": ("已经", "持续", "一周"),
    "请领导关注": ("请", "领导", "关注"),
    "影响孩子上学": ("影响", "孩子", "上学"),
    "老人出行不便": ("老人", "出行", "不便"),
    "存在安全隐患": ("存在", "安全隐患"),
    "感谢工作人员及时处理": ("感谢", "工作人员", "及时", "处理"),
    "效率明显提高": ("效率", "明显", "提高"),
    "给个说法": ("给个", "说法"),
    "要求公开处理结果": ("要求", "公开", "处理", "结果"),
}
SUBJECT_NAMES = list(SUBJECTS)
PLACE_NAMES = list(PLACES)
PHRASE_NAMES = list(PHRASES)

# The queries of the quoted 100,000-post figures.
QUERIES = [
    '"拆迁补偿"',
    "停水",
    "施工噪音 NOT 夜间",
    "医保 OR 公交",
    "(燃气 OR 电梯) 安全隐患",
    "幸福路 停水",
    '"多次反映无人处理"',
    "垃圾",
    "物业 -电梯",
    "宿城区 积水",
]


def make_posts(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """The posts of the quoted figures: one a minute from 2025-01-01, four sources."""
    rng = random.Random(seed)
    sources = ["weibo", "board", "12345", "news"]
    kinds = {"weibo": "microblog", "board": "board", "12345": "hotline", "news": "news"}
    posts = []
    for i in range(n):
        subject, place = rng.choice(SUBJECT_NAMES), rng.choice(PLACE_NAMES)
        text = (
            "，".join([f"{place}{subject}"] + rng.sample(PHRASE_NAMES, rng.randint(2, 5)))
            + f"。编号{i}"
        )
        source = sources[i % 4]
        posts.append(
            {
                "id": f"bench:{i}",
                "source": source,
                "kind": kinds[source],
                "title": f"{place}{subject}问题",
                "text": text,
                "published_at": START + timedelta(seconds=i * 60 + rng.randrange(60)),
                "region": place if place.endswith(("区", "县")) else None,
                "sentiment": round(rng.random(), 4),
                "keywords": [subject, place],
            }
        )
    return posts


# The scale run: six sources of four kinds, in shares a city office sees.
SCALE_SOURCES = (
    ("weibo", "microblog", 30),
    ("douyin", "microblog", 10),
    ("board", "board", 20),
    ("12345", "hotline", 25),
    ("city-news", "news", 10),
    ("people-news", "news", 5),
)
SOURCE_NAMES = [name for name, _, _ in SCALE_SOURCES]
_SOURCE_WEIGHTS = [share for _, _, share in SCALE_SOURCES]
_KIND = {name: kind for name, kind, _ in SCALE_SOURCES}


class ScaleStream:
    """`total` posts spread evenly over `span_days` from START, then as many more as asked at
    the same rate (the posts that arrive after the store is full). Post i is the same in every
    run and every call: each batch draws from its own seed."""

    def __init__(self, total: int, span_days: int, seed: int = 7) -> None:
        self.total = total
        self.span = timedelta(days=span_days)
        self.step = self.span.total_seconds() / total
        self.seed = seed

    @property
    def end(self) -> datetime:
        """Just after the last of the first `total` posts."""
        return START + self.span

    def at(self, i: int) -> datetime:
        return START + timedelta(seconds=i * self.step)

    def batches(self, first: int, count: int, size: int) -> Iterator[list[dict[str, Any]]]:
        for start in range(first, first + count, size):
            yield self.batch(start, min(size, first + count - start))

    def batch(self, first: int, count: int) -> list[dict[str, Any]]:
        rng = random.Random(self.seed * 1_000_003 + first)
        return [self._post(i, rng) for i in range(first, first + count)]

    def _post(self, i: int, rng: random.Random) -> dict[str, Any]:
        subject, place = rng.choice(SUBJECT_NAMES), rng.choice(PLACE_NAMES)
        phrases = rng.sample(PHRASE_NAMES, rng.randint(2, 5))
        source = rng.choices(SOURCE_NAMES, _SOURCE_WEIGHTS)[0]
        kind = _KIND[source]
        tokens = [*PLACES[place], *SUBJECTS[subject]]
        for phrase in phrases:
            tokens += PHRASES[phrase]
        tokens += ["编号", str(i)]
        post: dict[str, Any] = {
            "id": f"scale:{i}",
            "source": source,
            "kind": kind,
            "url": f"https://example.org/{source}/{i}",
            "title": f"{place}{subject}问题" if kind != "microblog" else "",
            "text": "，".join([f"{place}{subject}", *phrases]) + f"。编号{i}",
            "published_at": self.at(i) + timedelta(seconds=rng.random() * self.step),
            "published_precision": "second",
            "region": place if place.endswith(("区", "县")) else None,
            # About one post in thirty has not been scored yet.
            "sentiment": None if rng.random() < 0.033 else round(rng.random(), 4),
            "tokens": tokens,
            "keywords": [subject, place, *PHRASES[phrases[0]][:1]],
        }
        if kind == "microblog":
            post["author"] = f"用户{rng.randrange(50_000)}"
            post["engagement"] = {
                "reposts": rng.randrange(20),
                "comments": rng.randrange(50),
                "likes": rng.randrange(500),
            }
        elif kind == "hotline":
            post["case_no"] = f"12345-{i:08d}"
            post["category"] = subject
            post["status"] = rng.choice(["受理", "办理中", "已办结"])
        return post
