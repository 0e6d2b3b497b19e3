"""The shipped model's recipe on a small made-up corpus in the data's layout: the test part fixed
by each text's hash and never trained on, the folds, the threshold, and
`yuqing train-sentiment --shipped` remaking the same model twice."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from analysis import sentiment_recipe as recipe
from analysis.ngram_train import Params
from analysis.sentiment_ngram import load
from analysis.sentiment_train import metrics
from core.settings import get_settings
from yuqing.cli import app

GOOD = ["今天好开心", "太喜欢了", "幸福满满[哈哈]", "谢谢你们", "阳光正好", "好吃到哭"]
BAD = ["气死我了", "好难过[泪]", "太恶心了", "烦死了", "又失眠了", "被骗了真倒霉"]
SMALL = Params(bits=14, orders=2, C=10.0, review_weight=0.5)


def made_up_corpus(folder: Path, n: int = 240) -> Path:
    """Files named and laid out as the recipe's data, with made-up texts."""
    rnd = random.Random(4)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / recipe.WEIBO, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["split", "id", "label", "polarity", "content"])
        for i in range(n):
            polarity = ["positive", "negative", "negative", "ambiguous"][i % 4]
            pool = GOOD if polarity == "positive" else BAD
            text = "，".join(rnd.choice(pool) for _ in range(rnd.randint(1, 3))) + f" #{i}"
            w.writerow(["valid", i, "x", polarity, text])
        w.writerow(["test", n, "x", "negative", "  "])
    for name in recipe.REVIEWS:
        with open(folder / name, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["label", "review"])
            for i in range(60):
                w.writerow([i % 2, rnd.choice(GOOD if i % 2 else BAD) + f"，第{i}次"])
    return folder


def test_parts_come_from_the_text_alone(tmp_path) -> None:
    parts = recipe.weibo(made_up_corpus(tmp_path / "data"))
    assert parts.skipped == {"polarity ambiguous": 60, "empty text": 1}
    assert len(parts.train.texts) + len(parts.test.texts) == 180
    assert not set(parts.train.texts) & set(parts.test.texts)
    assert 0 < len(parts.test.texts) < 90  # about a fifth
    assert all(recipe.part_of(t) < recipe.TEST_SHARE for t in parts.test.texts)
    assert parts.folds == [recipe.part_of(t) % recipe.FOLDS for t in parts.train.texts]
    assert recipe.part_of("一样的话") == recipe.part_of("一样的话")
    assert len(recipe.reviews(tmp_path / "data").texts) == 120


def test_best_threshold_has_the_best_macro_f1() -> None:
    labels = [True, True, False, False, False]
    scores = [0.9, 0.35, 0.3, 0.2, 0.6]
    t, m = recipe.best_threshold(labels, scores)
    assert m == metrics(labels, [s > t for s in scores])
    assert 0.30 <= t < 0.35 and m["macro_f1"] == pytest.approx(0.8)  # 0.6 stays a mistake
    # a tie goes to the threshold nearest 0.5
    assert recipe.best_threshold([True, False], [0.9, 0.1])[0] == 0.5


def test_the_test_part_is_never_trained_on(tmp_path, monkeypatch) -> None:
    seen: list[str] = []
    real = recipe.fit_model

    def spy(texts, *args, **kwargs):
        seen.extend(texts)
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(recipe, "fit_model", spy)
    data = made_up_corpus(tmp_path / "data")
    report = recipe.train_shipped(data, tmp_path / "m.npz", SMALL)
    parts = recipe.weibo(data)
    assert not set(seen) & set(parts.test.texts)
    assert set(parts.train.texts) <= set(seen)
    assert report["test"] == len(parts.test.texts) and report["reviews"] == 120
    model = load(tmp_path / "m.npz")
    assert model.meta["threshold"] == report["threshold"]
    assert model.shift == pytest.approx(np.log(report["threshold"] / (1 - report["threshold"])))
    right = metrics(parts.test.labels, [s > 0.5 for s in model.score_many(list(parts.test.texts))])
    assert right["accuracy"] > 0.9


def test_cli_remakes_the_same_model(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("YUQING_ANALYSIS__NGRAM_MODEL", str(tmp_path / "configured.npz"))
    get_settings.cache_clear()
    data = made_up_corpus(tmp_path / "data")
    runner = CliRunner()
    outputs = []
    for name in ("a.npz", "b.npz"):
        args = ["train-sentiment", "--shipped", "--data", str(data), "--out", str(tmp_path / name)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "validation, out of fold: at 0.5 accuracy=" in result.output
        assert f"model written to {tmp_path / name}" in result.output
        assert "different from the shipped model" in result.output  # other data, other model
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    result = runner.invoke(app, ["train-sentiment", "--shipped", "--data", str(data)])
    assert result.exit_code == 0 and (tmp_path / "configured.npz").exists()
    get_settings.cache_clear()
