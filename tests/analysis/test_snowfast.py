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

from analysis import snowfast, snowfast_cache, snowfast_tables, snowfast_viterbi
from tests.factories import PHRASES, varied_texts

REPO = Path(__file__).resolve().parents[2]


def _assert_same(texts, got, want) -> None:
    mismatches = [
        (t, g, w)
        for t, g, w in zip(texts, got, want, strict=True)
        if not (g == w and type(g) is type(w))
    ]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ, e.g. {mismatches[:3]!r}"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = [t for t in varied_texts(3000) if t]
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
    snowfast_cache.write_arrays(path, "k1", dict(arrays))
    back = snowfast_cache.read_arrays(path, "k1")
    assert back.keys() == arrays.keys()
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and np.array_equal(back[name], a)
    assert snowfast_cache.read_arrays(path, "k2") is None  # another key: stale
    path.write_bytes(b"garbage")
    assert snowfast_cache.read_arrays(path, "k1") is None

    # a missing or stale cache is built and written; a current one is only read
    calls = []
    monkeypatch.setattr(
        snowfast_tables, "build_seg", lambda pkg: calls.append(pkg) or {"x": np.ones(3)}
    )
    assert np.array_equal(snowfast_tables.load_seg(directory=tmp_path)["x"], np.ones(3))
    assert np.array_equal(snowfast_tables.load_seg(directory=tmp_path)["x"], np.ones(3))
    assert len(calls) == 1
    cached = tmp_path / "snowfast_seg.bin"
    stale = snowfast_cache.read_arrays(cached, snowfast_tables.seg_cache_key(calls[0]))
    snowfast_cache.write_arrays(cached, "other key", dict(stale))
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
