"""The n-gram sentiment model: its features, its fitting, its file, and the shipped model, which
must load from the repository with no network and read Weibo-style text the right way round."""

from __future__ import annotations

import socket
import zipfile

import numpy as np
import pytest

from analysis import ngram_fit
from analysis.ngram_features import hashed
from analysis.ngram_train import Params, fit_model
from analysis.sentiment_ngram import SHIPPED, SHIPPED_MODEL, NgramSentiment, load
from core.errors import ConfigError
from core.settings import PROJECT_ROOT
from tests.factories import LABELS, PHRASES, labelled_rows, varied_texts

# Made up for this test, in the way people write on Weibo: emoticon codes, !!!, 哈哈.
POSITIVE = [
    "今天和闺蜜去逛街，买到了超喜欢的裙子，开心到飞起[哈哈][哈哈]",
    "终于收到录取通知书了！！！感谢一路支持我的家人和朋友[爱你]",
    "周末带爸妈去公园看花，阳光正好，幸福满满～",
    "新来的同事好暖心，还给我带了早餐，感动[心]",
]
NEGATIVE = [
    "气死我了，排队两个小时还被人插队，什么素质啊[怒]",
    "又失眠到凌晨三点，头疼得要命，真的好难受[泪]",
    "快递又丢了，客服踢皮球，再也不想用了，太恶心了",
    "考试又没过，感觉自己好失败，想哭[伤心]",
]


@pytest.fixture(scope="module")
def toy_model():
    rows = labelled_rows(300)
    return fit_model([t for t, _ in rows], [LABELS[lab] == 1 for _, lab in rows], params=SMALL)


SMALL = Params(bits=16, orders=3, C=10.0)


# -- features ---------------------------------------------------------------------------------


def test_a_batch_hashes_each_text_as_alone() -> None:
    texts = [t for t in varied_texts(300, seed=3)] + ["", "   ", "a", "好"]
    batch = hashed(texts, 20, 3)
    assert batch.n == len(texts)
    for i, text in enumerate(texts):
        alone = hashed([text], 20, 3)
        assert sorted(alone.buckets.tolist()) == sorted(batch.buckets[batch.rows == i].tolist())
    assert batch.buckets.min() >= 0 and batch.buckets.max() < 1 << 20


def test_n_grams_with_the_text_boundaries() -> None:
    # 3 characters, 4 pairs (with the start and the end), 3 triples
    assert len(hashed(["开心了"], 20, 3).buckets) == 10
    assert len(set(hashed(["开心了"], 20, 3).buckets.tolist())) == 10
    assert len(hashed(["开心了"], 20, 2).buckets) == 7
    assert len(hashed(["", " \n "], 20, 3).buckets) == 0


def test_folding_width_case_space_links_and_names() -> None:
    def same(a: str, b: str) -> bool:
        return sorted(hashed([a], 20, 3).buckets.tolist()) == sorted(
            hashed([b], 20, 3).buckets.tolist()
        )

    assert same("ＯＫ！好评１００", "ok!好评100")
    assert same("  太　好了\n\n啊 ", "太 好了 啊")
    assert same("看这里 https://t.cn/A6abc 太好笑了", "看这里 太好笑了")
    assert same("@小王同学 谢谢你", "谢谢你")
    assert not same("好评", "差评")


# -- fitting ----------------------------------------------------------------------------------


def test_fit_reaches_the_minimum() -> None:
    """At the fitted weights the loss's gradient vanishes (C * X'r + w = 0, sum r = 0)."""
    rows = labelled_rows(200, seed=8)
    texts = [t for t, _ in rows]
    y = np.array([LABELS[lab] for _, lab in rows], dtype=np.float64)
    idf = ngram_fit.idf_of(texts, 12, 2)
    d, _ = ngram_fit.compact(ngram_fit.design(texts, idf, 12, 2))
    weight = np.where(y > 0, 1.0, 0.5)
    w, b = ngram_fit.fit(d, y, weight, C=5.0, tol=1e-12)
    r = weight * (ngram_fit.sigmoid(d.dot(w) + b) - y)
    assert np.abs(5.0 * d.tdot(r) + w).max() < 1e-4
    assert abs(r.sum()) < 1e-4
    assert np.abs(w).max() > 0.1  # it did learn something


def test_a_toy_model_learns_the_labels(toy_model) -> None:
    rows = labelled_rows(120, seed=31)
    scores = toy_model.score_many([t for t, _ in rows])
    right = sum((s > 0.5) == (LABELS[lab] == 1) for s, (_, lab) in zip(scores, rows, strict=True))
    assert right / len(rows) > 0.9
    assert toy_model.score_many(["", None, "好"])[:2] == [0.5, 0.5]


def test_threshold_becomes_half() -> None:
    rows = labelled_rows(150)
    texts, labels = [t for t, _ in rows], [LABELS[lab] == 1 for _, lab in rows]
    plain = fit_model(texts, labels, params=SMALL)
    moved = fit_model(texts, labels, params=SMALL, threshold=0.3)
    raw = 1 / (1 + np.exp(-plain.logits(texts)))
    want = 1 / (1 + np.exp(-(np.log(raw / (1 - raw)) - np.log(0.3 / 0.7))))
    assert np.allclose(moved.score_many(list(texts)), want)
    with pytest.raises(ValueError, match="threshold"):
        fit_model(texts, labels, params=SMALL, threshold=1.0)


# -- the model file ---------------------------------------------------------------------------


def test_saved_model_scores_the_same_and_holds_no_text(toy_model, tmp_path) -> None:
    path = tmp_path / "m.npz"
    toy_model.save(path)
    again = load(path)
    texts = [t for t, _ in labelled_rows(50, seed=2)] + PHRASES
    assert again.score_many(texts) == toy_model.score_many(texts)
    assert (again.bits, again.orders) == (16, 3)
    with zipfile.ZipFile(path) as z:
        stored = b"".join(z.read(name) for name in z.namelist())
    for text, _ in labelled_rows(300):
        for piece in text.split("，"):
            assert piece.encode("utf-8") not in stored
            assert piece.encode("utf-32-le") not in stored


def test_scorer_uses_a_trained_file_while_it_exists(toy_model, tmp_path) -> None:
    path = tmp_path / "models" / "ngram.npz"
    scorer = NgramSentiment(path)
    texts = POSITIVE + NEGATIVE
    shipped = scorer.score_many(texts)
    assert scorer.model_in_use() == SHIPPED
    toy_model.save(path)
    assert scorer.model_in_use() == str(path.resolve())
    assert scorer.score_many(texts) == toy_model.score_many(texts) != shipped
    path.unlink()
    assert scorer.score_many(texts) == shipped


def test_bad_model_file_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "m.npz"
    for blob in (b"not a model", b""):
        path.write_bytes(blob)
        with pytest.raises(ConfigError, match="ngram_model"):
            NgramSentiment(path).score_many(["好"])
    np.savez(path, weights=np.zeros(4))
    with pytest.raises(ConfigError, match="not an n-gram sentiment model"):
        NgramSentiment(path).score_many(["好"])


# -- the shipped model ------------------------------------------------------------------------


def test_shipped_model_loads_from_the_repository_without_network(monkeypatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("the shipped model tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert SHIPPED_MODEL.is_relative_to(PROJECT_ROOT) and SHIPPED_MODEL.is_file()
    assert SHIPPED_MODEL.stat().st_size <= 20 * 1024 * 1024
    scorer = NgramSentiment()
    pos, neg = scorer.score_many(POSITIVE), scorer.score_many(NEGATIVE)
    assert scorer.model().source == SHIPPED
    assert all(s > 0.6 for s in pos), pos
    assert all(s < 0.4 for s in neg), neg


def test_shipped_model_says_how_it_was_made() -> None:
    meta = load(SHIPPED_MODEL).meta
    assert meta["recipe"] == "analysis.sentiment_recipe"
    assert set(meta["trained_on"]) == {
        "clue_emotion_weibo.csv",
        "waimai_10k.csv",
        "online_shopping_7cats_clean_sample.csv",
    }
    assert 0.0 < meta["threshold"] < 1.0
    assert meta["validation"]["at_threshold"]["n"] > 1000
