"""Incremental clustering and the hot score, without a database."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta
from pathlib import Path

import pytest

from analysis.clustering import Cluster, Clusterer, Params, vectorize
from analysis.hotness import ClusterStats, HotConfig, poisson_tail_log10, score
from analysis.text import segment
from core.errors import ConfigError
from core.settings import CONFIG_DIR
from tests.factories import BASE_TIME

WATER = [
    "望潮苑小区停水一上午了，供水什么时候恢复",  # hotline
    "临江区望潮苑停水，供水管道爆管什么时候修好",  # board
    "#望潮苑停水# 停水到中午了还没恢复供水",  # microblog
]
BUS = "35路公交早高峰二十多分钟才来一班，希望加密班次"


def _vec(text: str) -> dict[str, float]:
    return vectorize(segment(text))


def test_vectors_are_unit_length_and_ignore_common_words() -> None:
    vec = _vec(WATER[0])
    assert math.isclose(sum(v * v for v in vec.values()), 1.0)
    assert "江澜" not in vectorize(segment("江澜 停水"), ignore=frozenset({"江澜"}))
    assert vectorize([]) == {}


def test_one_topic_from_several_sources_shares_a_cluster_and_others_do_not() -> None:
    ids = itertools.count(1)
    clusterer = Clusterer([], Params(threshold=0.3))
    got = [clusterer.assign(_vec(t), BASE_TIME, lambda: next(ids))[0].id for t in WATER]
    bus, opened = clusterer.assign(_vec(BUS), BASE_TIME, lambda: next(ids))
    assert got == [1, 1, 1] and opened and bus.id == 2
    assert clusterer.clusters[1].size == 3


def test_candidates_come_only_from_the_inverted_index() -> None:
    water = Cluster(1, _vec(WATER[0]), BASE_TIME, BASE_TIME, BASE_TIME, 1)
    bus = Cluster(2, _vec(BUS), BASE_TIME, BASE_TIME, BASE_TIME, 1)
    clusterer = Clusterer([water, bus])
    assert clusterer.candidates(_vec(WATER[1])) == {1}
    assert clusterer.candidates(_vec("今天天气晴朗")) == set()


def test_centroids_decay_and_quiet_clusters_expire() -> None:
    params = Params(threshold=0.3, half_life_hours=12, expire_hours=72)
    cluster = Cluster(1, {"停水": 1.0}, BASE_TIME, BASE_TIME, BASE_TIME, 1)
    clusterer = Clusterer([cluster], params)
    clusterer.add(cluster, {"供水": 1.0}, BASE_TIME + timedelta(hours=12))
    assert cluster.centroid == pytest.approx({"停水": 0.5, "供水": 1.0})
    # a post after the expiry window does not join the quiet cluster
    late = BASE_TIME + timedelta(hours=12 + 73)
    assert clusterer.best({"停水": 1.0}, late)[0] is None
    assert [c.id for c in clusterer.expire(late)] == [1] and clusterer.clusters == {}


def test_near_finds_converging_clusters_and_merge_folds_them() -> None:
    a = Cluster(1, _vec(WATER[0] + WATER[1]), BASE_TIME, BASE_TIME, BASE_TIME, 2)
    b = Cluster(2, _vec(WATER[2] + WATER[0]), BASE_TIME, BASE_TIME, BASE_TIME, 3)
    c = Cluster(3, _vec(BUS), BASE_TIME, BASE_TIME, BASE_TIME, 2)
    clusterer = Clusterer([a, b, c])
    assert [other.id for other, _ in clusterer.near(a, 0.5)] == [2]
    clusterer.merge(a, b)
    assert a.size == 5 and set(clusterer.clusters) == {1, 3}


def test_poisson_tail_matches_the_direct_sum() -> None:
    for k, lam in ((0, 1.0), (1, 0.5), (5, 2.0), (12, 0.2), (3, 3.0)):
        upper = sum(
            math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1)) for i in range(k, k + 80)
        )
        assert poisson_tail_log10(k, lam) == pytest.approx(math.log10(upper), abs=1e-9)
    assert poisson_tail_log10(200, 0.2) < -300  # far beyond float underflow, still finite


def _stats(**kw: object) -> ClusterStats:
    base = dict(now=BASE_TIME, n_1h=12, n_24h=15, baseline_posts=0, baseline_hours=168.0,
                kinds_24h={"hotline": 5, "board": 4, "microblog": 6}, negative_24h=12,
                with_sentiment_24h=15, engagement_24h=900, sensitive_24h={})  # fmt: skip
    base.update(kw)
    return ClusterStats(**base)  # type: ignore[arg-type]


def test_score_lists_each_fired_signal_with_its_numbers() -> None:
    config = HotConfig.from_file(CONFIG_DIR / "hot_issues.yaml")
    hot = score(_stats(), config)
    fired = {s.name for s in hot.signals if s.fired}
    assert fired == {"burst", "volume", "negative", "diversity", "engagement"}
    assert hot.explanation[0].startswith("突发：近1小时12条，基线每小时0.20条")
    assert "负面占比：80%（12/15）" in hot.explanation
    assert not hot.urgent and 60 <= hot.score <= 100

    quiet = score(_stats(n_1h=1, n_24h=1, kinds_24h={"board": 1}, negative_24h=0,
                         with_sentiment_24h=1, engagement_24h=0), config)  # fmt: skip
    assert quiet.explanation == [] and quiet.score < 10

    campaign = score(_stats(copies_24h=8), config)
    assert "集中转发/复制：近24小时8条与先前内容高度相似" in campaign.explanation
    assert campaign.score > hot.score or hot.score == 100

    deaths = score(_stats(sensitive_24h={"伤亡": 2}), config)
    assert deaths.urgent and "敏感词：伤亡2条" in deaths.explanation
    spoken = score(_stats(official_at=BASE_TIME, official_by="江澜水务"), config)
    assert spoken.score == pytest.approx(hot.score * config.score.official_factor, abs=0.11)
    assert spoken.explanation[-1].startswith("官方已发声：江澜水务")


def test_a_bad_hot_issues_file_is_one_clear_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "hot.yaml"
    bad.write_text("clustering:\n  threshold: 2\nscore:\n  burst: {pointz: 3}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"clustering.threshold.*score.burst.pointz"):
        HotConfig.from_file(bad)
