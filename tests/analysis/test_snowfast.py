"""analysis.snowfast: bit-identical to SnowNLP(t).sentiments and seg.seg(t), and its caches."""

from __future__ import annotations

import gzip
import marshal
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import snowfast, snowfast_tables, snowfast_viterbi

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


def _assert_same(texts, got, want) -> None:
    mismatches = [
        (t, g, w)
        for t, g, w in zip(texts, got, want, strict=True)
        if not (g == w and type(g) is type(w))
    ]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:3]!r}"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = [t for t in _texts(3000) if t]
    assert len(out) >= 3000
    assert sum(len(t) >= 500 for t in out) >= 10
    return out


def test_bit_identical_to_snownlp(texts):
    from snownlp import SnowNLP

    _assert_same(texts, snowfast.score_many(texts), [SnowNLP(t).sentiments for t in texts])


def test_words_are_snownlps(texts):
    from snownlp import seg

    got = snowfast.words_many(texts)
    bad = [(t, g) for t, g in zip(texts, got, strict=True) if g != seg.seg(t)]
    assert not bad, f"{len(bad)} of {len(texts)} differ, e.g. {bad[:2]!r}"


def test_snownlps_own_review_texts():
    """Natural text: every 100th line of the reviews SnowNLP ships (its sentiment training data)."""
    from snownlp import normal, seg, sentiment

    lines = []
    for name in ("neg.txt", "pos.txt"):
        path = snowfast_tables.package_dir() / "sentiment" / name
        with open(path, encoding="utf-8") as f:
            lines += [line.strip() for line in f if line.strip()][::100]
    assert len(lines) >= 300
    words = [seg.seg(t) for t in lines]
    assert snowfast.words_many(lines) == words
    # SnowNLP(t).sentiments is Sentiment.classify(t): Bayes on filter_stop(seg.seg(t))
    want = []
    for w in words:
        ret, prob = sentiment.classifier.classifier.classify(normal.filter_stop(w))
        want.append(prob if ret == "pos" else 1 - prob)
    _assert_same(lines, snowfast.score_many(lines), want)


def test_batches_and_lockstep_groups_do_not_change_scores(texts, monkeypatch):
    whole = snowfast.score_many(texts)
    sample = texts[::7]
    one_by_one = [snowfast.score_many([t])[0] for t in sample]
    _assert_same(sample, one_by_one, whole[::7])
    monkeypatch.setattr(snowfast_viterbi, "MAX_CHARS", 40)  # many small lockstep groups
    _assert_same(texts, snowfast.score_many(texts), whole)


def test_empty_text_raises_like_snownlp():
    from snownlp import SnowNLP

    with pytest.raises(ZeroDivisionError):
        _ = SnowNLP("").sentiments
    with pytest.raises(ZeroDivisionError):
        snowfast.score_many(["好", ""])
    assert snowfast.score_many([]) == []


def test_three_class_model_matches_snownlps_classifier(tmp_path, texts):
    """A model file with classes other than neg/pos takes SnowNLP's general Bayes steps."""
    from snownlp.sentiment import Sentiment

    rnd = random.Random(7)
    words = sorted({w for ws in snowfast.words_many(PHRASES) for w in ws})
    classes = {}
    for name in ("neg", "neu", "pos"):
        d = {w: rnd.randint(1, 50) for w in rnd.sample(words, len(words) // 2)}
        classes[name] = {"d": d, "total": float(sum(d.values()) + 7), "none": 1}
    model = {"total": sum(c["total"] for c in classes.values()), "d": classes}
    path = tmp_path / "three.marshal.3"  # SnowNLP's load appends '.3'
    with gzip.open(path, "wb") as f:
        f.write(marshal.dumps(model))
    ref = Sentiment()
    ref.load(str(tmp_path / "three.marshal"))
    assert list(ref.classifier.d) == ["neg", "neu", "pos"]
    sample = texts[:400]
    got = snowfast.score_many(sample, snowfast.load(path, cache=False))
    _assert_same(sample, got, [ref.classify(t) for t in sample])


def test_seg_cache_round_trip_and_rebuild(tmp_path, monkeypatch):
    arrays = {
        "a": np.arange(10, dtype=np.int64),
        "b": np.array([[1.5, -np.inf], [0.25, 3.0]]),
        "c": np.array([True, False, True]),
        "d": np.zeros(0, dtype=np.uint8),
    }
    path = tmp_path / "x.bin"
    snowfast_tables._write_arrays(path, "k1", dict(arrays))
    back = snowfast_tables._read_arrays(path, "k1")
    assert back.keys() == arrays.keys()
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and np.array_equal(back[name], a)
    assert snowfast_tables._read_arrays(path, "k2") is None  # another key: stale
    path.write_bytes(b"garbage")
    assert snowfast_tables._read_arrays(path, "k1") is None

    # a missing or stale cache is built and written; a current one is only read
    calls = []
    monkeypatch.setattr(
        snowfast_tables, "build_seg", lambda pkg: calls.append(pkg) or {"x": np.ones(3)}
    )
    assert np.array_equal(snowfast_tables.load_seg(directory=tmp_path)["x"], np.ones(3))
    assert np.array_equal(snowfast_tables.load_seg(directory=tmp_path)["x"], np.ones(3))
    assert len(calls) == 1
    cached = tmp_path / "snowfast_seg.bin"
    stale = snowfast_tables._read_arrays(cached, snowfast_tables.seg_cache_key(calls[0]))
    snowfast_tables._write_arrays(cached, "other key", dict(stale))
    snowfast_tables.load_seg(directory=tmp_path)
    assert len(calls) == 2


def test_bayes_cache_follows_the_model_file(tmp_path):
    src = snowfast_tables.shipped_model()
    path = tmp_path / "m.marshal"
    path.write_bytes(src.read_bytes())
    key = snowfast_tables.bayes_key(path)
    built = snowfast_tables.load_bayes(path, key, directory=tmp_path)
    assert snowfast_tables.load_bayes(path, key, directory=tmp_path) == built
    assert built["classes"] == ["neg", "pos"]
    os.utime(path, ns=(1, 1))
    assert snowfast_tables.bayes_key(path) != key


def test_warm_process_scores_without_snownlp():
    snowfast.seg_tables()  # the cache exists
    code = (
        "import sys; from analysis import snowfast; "
        "print(repr(snowfast.score_many(['这家店很好吃', '太差了']))); "
        "assert 'snownlp' not in sys.modules"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    from snownlp import SnowNLP

    assert out.strip() == repr([SnowNLP("这家店很好吃").sentiments, SnowNLP("太差了").sentiments])


def test_stop_words_are_snownlps():
    from snownlp import normal

    assert set(snowfast_tables.read_stop_words()) == normal.stop
