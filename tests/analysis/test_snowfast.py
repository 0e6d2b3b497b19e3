"""analysis.snowfast: bit-identical to SnowNLP(t).sentiments, and its table cache."""

from __future__ import annotations

import marshal
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import snowfast, snowfast_tables

REPO = Path(__file__).resolve().parents[2]

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


def _texts(n: int, seed: int = 20261126) -> list[str]:
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


def test_bit_identical_to_snownlp():
    from snownlp import SnowNLP

    texts = [t for t in _texts(3000) if t]
    assert len(texts) >= 3000
    assert sum(len(t) >= 500 for t in texts) >= 10
    got = snowfast.score_many(texts)
    want = [SnowNLP(t).sentiments for t in texts]
    mismatches = [
        (t, g, w)
        for t, g, w in zip(texts, got, want, strict=True)
        if not (g == w and type(g) is type(w))
    ]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:3]!r}"


def test_empty_text_raises_like_snownlp():
    from snownlp import SnowNLP

    with pytest.raises(ZeroDivisionError):
        _ = SnowNLP("").sentiments
    with pytest.raises(ZeroDivisionError):
        snowfast.score_many(["好", ""])
    assert snowfast.score_many([]) == []


def test_cache_cold_start_then_load(tmp_path, monkeypatch):
    path = tmp_path / "snowfast_tables.marshal"
    built = snowfast_tables.load(directory=tmp_path)  # cold: built from SnowNLP's model files
    assert path.exists()
    loaded = snowfast_tables.load(directory=tmp_path)  # warm: read from the cache
    assert loaded == built

    # warm import path: scores without importing snownlp
    code = (
        "import sys; from analysis import snowfast; "
        "print(repr(snowfast.score_many(['这家店很好吃', '太差了']))); "
        "assert 'snownlp' not in sys.modules"
    )
    env = dict(os.environ, YUQING_CACHE_DIR=str(tmp_path), PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    from snownlp import SnowNLP

    assert out.strip() == repr([SnowNLP("这家店很好吃").sentiments, SnowNLP("太差了").sentiments])

    # a cache written for another package version/model file is rebuilt
    data = marshal.loads(path.read_bytes())
    data["key"] = "other"
    path.write_bytes(marshal.dumps(data))
    monkeypatch.setattr(snowfast_tables, "build", lambda pkg: {"rebuilt": True})
    assert snowfast_tables.load(directory=tmp_path)["rebuilt"] is True
    assert marshal.loads(path.read_bytes())["key"] == snowfast_tables.cache_key(
        snowfast_tables.package_dir()
    )
