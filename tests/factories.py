"""Factories for test records and worlds: posts (each call a fresh, valid one), the residents'
texts of a water outage and of everyday letters, a seeded product for the clustering job
(`Product`), and the phrases and labelled rows of the sentiment tests."""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from analysis.enrich import AnalysisFiles, PostAnalyzer
from analysis.text import shipped_segmenter
from api.database import make_engine, make_session_factory, session_scope
from api.hot_issues.job import Job
from api.hot_issues.models import HotIssue
from api.migrating import migrate
from core.settings import Settings
from core.timezone import SHANGHAI
from store.models import Post
from store.sqlite import SqlitePostStore
from tests.helpers import app_settings

BASE_TIME = datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)
_counter = itertools.count(1)


def post_data(**overrides: Any) -> dict[str, Any]:
    """A post as a plain dict, the way a pipeline hands it to the store."""
    n = next(_counter)
    data: dict[str, Any] = {
        "id": f"test:{n}",
        "source": "test-board",
        "kind": "board",
        "url": f"https://example.gov.cn/msg/{n}",
        "title": f"留言{n}",
        "text": "小区门口道路积水严重，希望尽快处理。",
        "published_at": BASE_TIME + timedelta(minutes=n),
    }
    data.update(overrides)
    return data


def make_post(**overrides: Any) -> Post:
    return Post.model_validate(post_data(**overrides))


# -- residents' posts and the product that clusters them ---------------------------------------

# A water outage told by residents on three kinds of source, in their own words.
OUTAGE = [
    ("hotline", "望潮苑小区从早上开始停水，到现在还没有来水，老人小孩没法做饭，请尽快抢修"),
    ("board", "临江区望潮苑停水大半天了，供水管道爆管什么时候能修好？没有任何通知"),
    ("microblog", "#望潮苑停水# 停水一上午了，自来水什么时候恢复供水，太难了"),
    ("hotline", "望潮苑停水，家里一滴水都没有，打自来水公司电话一直占线，什么时候恢复供水"),
    ("microblog", "望潮苑停水到现在，超市的矿泉水都卖光了，供水什么时候恢复"),
    ("board", "望潮苑小区停水严重影响生活，请供水部门尽快抢修并公布恢复时间"),
    ("microblog", "#望潮苑停水# 停水停到中午，连个通知都没有，自来水公司在干什么"),
    ("hotline", "反映望潮苑停水问题，上午八点停水至今没有恢复，要求尽快恢复供水"),
    ("microblog", "望潮苑停水，楼里老人提水上楼太辛苦了，希望尽快恢复供水"),
    ("board", "望潮苑停水已经四个小时，供水抢修进展如何，请相关部门回复"),
    ("hotline", "望潮苑停水一上午，孩子没法洗漱，自来水什么时候能来"),
    ("microblog", "望潮苑停水真的受不了了，恢复供水的时间一推再推"),
]
# Everyday letters over the week before: one per topic, each in different words.
BACKGROUND = [
    "滨湖区书院街夜里烧烤摊噪音扰民，凌晨两点还在划拳",
    "35路公交早高峰二十多分钟才来一班，能否加密班次",
    "镜湖公园周边停车位太少，周末绕一圈都找不到车位",
    "小区垃圾桶满了没人清运，夏天味道很大",
    "社保卡补办需要带哪些材料，可以网上办理吗",
    "表扬政务服务中心窗口工作人员，耐心细致帮我办好了证件",
    "紫荆路路灯坏了好几盏，晚上骑车看不清路面",
    "物业费涨价没有开业主大会，收支明细也不公开",
    "菜市场有商户缺斤短两，希望市场监管部门检查",
    "医院医保结算系统经常卡顿，排队一个小时",
]

_post_ids = itertools.count(1)
_SOURCE_OF_KIND = {"hotline": "hotline-12345", "board": "city-board", "microblog": "weibo"}
# The one configured source of a `Product`: the water company's official account.
_PRODUCT_SOURCES = {
    "sources": [
        {
            "name": "gov-weibo",
            "kind": "news",
            "official": True,
            "feed_url": "http://127.0.0.1:1/rss",
        },
    ]
}


def post_from(kind: str, text: str, at: datetime, **extra: Any) -> Post:
    """A resident's post from a hotline, board or microblog; `extra` sets any other field."""
    n = next(_post_ids)
    data = {
        "id": f"t:{n}",
        "source": extra.pop("source", _SOURCE_OF_KIND[kind]),
        "kind": kind,
        "title": text[:14] if kind == "board" else "",
        "text": text,
        "published_at": at,
    }
    data.update(extra)
    return Post.model_validate(data)


class Product:
    """Settings, store and tracker database of one test; `add` analyses and stores posts."""

    def __init__(self, tmp_path: Path, **alerts: Any) -> None:
        sources_file = tmp_path / "sources.yaml"
        sources_file.write_text(yaml.safe_dump(_PRODUCT_SOURCES, allow_unicode=True), "utf-8")
        self.settings: Settings = app_settings(
            tmp_path,
            crawler={"sources_file": sources_file},
            alerts={"threshold": 50, "attempts": 2, "suppression_minutes": 120, **alerts},
        )
        self.store = SqlitePostStore(tmp_path / "posts.db")
        self.analyzer = PostAnalyzer(AnalysisFiles(neardup_db=tmp_path / "neardup.db"))
        self.engine = make_engine(self.settings.database.url)
        migrate(self.engine)
        self.factory = make_session_factory(self.engine)

    def add(self, posts: list[Post]) -> None:
        self.analyzer.enrich(posts)
        assert self.store.upsert(posts).failures == []

    def job(self) -> Job:
        """A fresh job, as after a restart: it knows only what the database holds."""
        return Job(self.settings, self.store, self.factory, shipped_segmenter())

    def hot(self) -> list[HotIssue]:
        with session_scope(self.engine) as session:
            rows = session.scalars(select(HotIssue).order_by(HotIssue.id)).all()
            session.expunge_all()
            return list(rows)

    def close(self) -> None:
        self.store.close()
        self.analyzer.index.close()
        self.engine.dispose()


# -- texts for the sentiment tests -------------------------------------------------------------

PHRASES = [
    "窗口办事很快，材料一次就过了",
    "停水停水又停水，到底什么时候来水",
    "答复及时，态度也好。",
    "公交准点，换乘方便，点赞",
    "送餐速度太慢了，等了两个小时",
    "菜都凉了，再也不会点了",
    "市政府召开新闻发布会",
    "道路施工噪音扰民",
    "感谢社区工作人员的耐心帮助",
    "垃圾分类做得很好",
    "投诉了三次都没有人处理",
    "地铁站附近停车难",
    "这家店的服务态度真差",
    "物业管理混乱，电梯经常坏",
    "公园环境优美，空气清新",
    "房价太高，年轻人买不起",
    "政策解读清晰，点赞",
    "排队办事效率低下",
    "医院挂号难看病贵",
    "学校周边交通拥堵严重",
    "我们一起去看电影吧",
    "江澜市政务服务中心推出周末延时服务",
    "今天天气不错",
    "网友反映小区供暖不足",
    "执法人员态度粗暴",
    "志愿者服务暖心",
    "水质有异味，希望尽快检查",
]
TRADITIONAL = "這個餐廳的服務態度非常差勁讓人無法接受國際經濟發展臺灣學習體驗後悔極了"
FULLWIDTH = "ＡＢＣｘｙｚ０１２３４５！？，。（）［］＋－＝　～＠＃％＆＊"
EMOJI = "😀😂👍👎🔥🙏❤️✨🎉🤔😡💯🍜🚇"
PUNCT = "，。！？；：“”‘’（）【】《》、…—·.,!?;:'\"()[]{}<>-_/\\|@#$%^&*~`+="
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SPACES = [" ", "\t", "\n", "\r\n", "\u3000", "\xa0", "\u2028", "\u200b", "\x0b", "\x1c"]
REPEATS = ["哈", "好", "啊", "差", "赞", "呵", "嗯", "!", "6", "😂"]


def _common_chars() -> str:
    return "".join(sorted({c for p in PHRASES for c in p if "\u4e00" <= c <= "\u9fa5"}))


def varied_texts(n: int, seed: int = 20261126) -> list[str]:
    """At least `n` texts (some empty) of every awkward kind: phrases, their pieces and
    mixtures, punctuation, spaces, traditional, full-width, emoji, rare characters, numbers,
    and long runs; the same list for the same seed."""
    rnd = random.Random(seed)
    common = _common_chars()
    rare = lambda k: "".join(chr(rnd.randint(0x4E00, 0x9FA5)) for _ in range(k))  # noqa: E731
    pick = lambda pool, k: "".join(rnd.choice(pool) for _ in range(k))  # noqa: E731
    kinds = [
        lambda: rnd.choice(PHRASES),
        lambda: pick(common, rnd.randint(1, 12)),
        lambda: "".join(
            rnd.choice(PHRASES) + rnd.choice(["", "，", " ", "！", "\n"])
            for _ in range(rnd.randint(2, 6))
        ),
        lambda: rnd.choice(PHRASES)[: rnd.randint(1, 4)],
        lambda: "".join(
            rnd.choice([pick(common, 3), pick(LATIN, 4), pick(PUNCT, 1), " "])
            for _ in range(rnd.randint(1, 8))
        ),
        lambda: rnd.choice(PHRASES) + pick(EMOJI, rnd.randint(1, 3)) + pick(common, 2),
        lambda: pick(PUNCT, rnd.randint(1, 6)),
        lambda: "".join(rnd.choice(SPACES) for _ in range(rnd.randint(1, 4))),
        lambda: pick(TRADITIONAL, rnd.randint(2, 20)),
        lambda: pick(FULLWIDTH, rnd.randint(1, 5)) + rnd.choice(PHRASES) + pick(FULLWIDTH, 2),
        lambda: rnd.choice(REPEATS) * rnd.randint(2, 30) + rnd.choice(["", pick(common, 3)]),
        lambda: rare(rnd.randint(1, 6)) + pick(common, rnd.randint(0, 6)) + rare(1),
        lambda: "".join(
            rnd.choice([pick(common, 2), rare(1), pick(TRADITIONAL, 1)])
            for _ in range(rnd.randint(2, 10))
        ),
        lambda: rnd.choice(["\u4e00", "\u9fa5", "\u9fa6", "\u3400", "\u4dff"]) + pick(common, 3),
        lambda: str(rnd.randint(0, 10**6)) + rnd.choice(["元", "块钱", " yuan", "%", ""]),
    ]
    out = [k() for k in kinds for _ in range(n // len(kinds))]
    while len(out) < n:
        out.append(rnd.choice(kinds)())
    # long texts (500+ characters)
    for _ in range(8):
        s = ""
        while len(s) < 520:
            s += rnd.choice(PHRASES) + rnd.choice(["，", "。", " ", "！", "\n", "😂", "ok"])
        out.append(s)
    out.append(pick(common, 600))  # one 600-character run without a break
    out.append("好" * 700)
    rnd.shuffle(out)
    return out


GOOD = [p for i, p in enumerate(PHRASES) if i % 3 == 0]
BAD = [p for i, p in enumerate(PHRASES) if i % 3 == 1]
# Every spelling of a label the training reads, and what it means (1 positive, 0 negative).
LABELS = {"1": 1, "0": 0, "pos": 1, "neg": 0, "正面": 1, "负面": 0, "POS ": 1}


def labelled_rows(n: int, seed: int = 5) -> list[tuple[str, str]]:
    """(text, label) pairs whose words lean one way or the other, labels in every spelling."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        positive = i % 3 != 0
        pool = GOOD if positive else BAD
        text = "，".join(rnd.choice(pool) for _ in range(rnd.randint(1, 3)))
        if i % 5 == 0:
            text += rnd.choice(["😂", " ok", "！！", "100分", " "]) + rnd.choice(PHRASES)
        label = rnd.choice([k for k, v in LABELS.items() if v == positive])
        rows.append((text, label))
    return rows


def write_csv(
    path: Path, rows: Iterable[tuple[str, str]], header: tuple[str, str] = ("label", "review")
) -> None:
    """Labelled rows as a CSV file: the label first, then the text."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for text, label in rows:
            w.writerow([label, text])
