"""analysis.sentiment (SnowNLP's scores, exact: '' is 0.5, the retrained model when there is one)
and the `yuqing train-sentiment` / `eval-sentiment` commands for both engines."""

from __future__ import annotations

import re
import threading

import pytest
from typer.testing import CliRunner

from analysis import snowfast
from analysis.sentiment import Sentiment
from analysis.sentiment_train import train
from core.errors import InputError
from core.settings import get_settings
from tests.factories import PHRASES, labelled_rows, write_csv
from yuqing.cli import app

LAST_LINE = re.compile(r"accuracy=[01]\.\d{3} macro_f1=[01]\.\d{3} n=\d+")


@pytest.fixture
def model_file(tmp_path, monkeypatch):
    """The configured model path, in a temporary directory (absent at first)."""
    path = tmp_path / "models" / "sentiment.marshal"
    monkeypatch.setenv("YUQING_ANALYSIS__SENTIMENT_MODEL", str(path))
    monkeypatch.setenv("YUQING_ANALYSIS__NGRAM_MODEL", str(tmp_path / "models" / "ngram.npz"))
    monkeypatch.setenv("YUQING_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def sentiment(model_file, tmp_path) -> Sentiment:
    """Scores with the model at `model_file` while it exists."""
    snowfast.seg_tables()  # the segmentation tables stay in the shared cache
    return Sentiment(model_file, cache_dir=tmp_path / "cache")


def test_scores_are_snownlps_and_empty_is_half(sentiment):
    from snownlp import SnowNLP

    texts = ["", None, "好", " ", "服务很好！", "太差了😡", "!!", *PHRASES]
    got = sentiment.score_many(texts)
    assert got[:2] == [0.5, 0.5]
    assert got[2:] == [SnowNLP(t).sentiments for t in texts[2:]]
    assert all(type(x) is float for x in got)
    assert sentiment.score_many([]) == []
    assert sentiment.model_in_use() == "snownlp shipped"


def test_retrained_model_is_used_then_dropped(sentiment, model_file, tmp_path):
    texts = [t for t, _ in labelled_rows(60, seed=3)]
    shipped = sentiment.score_many(texts)
    src = tmp_path / "labelled.csv"
    write_csv(src, labelled_rows(200))
    train(src, "review", "label", model_file)
    assert sentiment.model_in_use() == str(model_file.resolve())
    retrained = sentiment.score_many(texts)  # noticed without reset()
    assert retrained == snowfast.score_many(texts, snowfast.load(model_file, cache=False))
    assert retrained != shipped
    assert list((tmp_path / "cache").glob("snowfast_bayes_*"))  # its tables are cached
    sentiment.reset()
    assert sentiment.score_many(texts) == retrained
    model_file.unlink()
    assert sentiment.score_many(texts) == shipped
    assert sentiment.model_in_use() == "snownlp shipped"


def test_threads_share_the_model(sentiment):
    texts = [p + str(i) for i, p in enumerate(PHRASES * 8)]
    want = snowfast.score_many(texts)
    results: list = [None] * 4
    barrier = threading.Barrier(4)

    def work(i: int) -> None:
        barrier.wait()
        results[i] = sentiment.score_many(texts[i:] + texts[:i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, got in enumerate(results):
        assert got == want[i:] + want[:i]


def test_bad_model_file_is_a_config_error(sentiment, model_file):
    from core.errors import ConfigError

    model_file.parent.mkdir(parents=True)
    model_file.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="sentiment_model"):
        sentiment.score_many(["好"])


@pytest.mark.parametrize(
    ("engine", "name", "shipped"),
    [("ngram", "m.npz", "shipped weibo model"), ("snownlp", "m.marshal", "snownlp shipped")],
)
def test_cli_train_then_eval(model_file, tmp_path, engine, name, shipped):
    src = tmp_path / "labelled.csv"
    write_csv(src, labelled_rows(120) + [("", "1"), ("还行", "maybe")], header=("y", "text"))
    out = tmp_path / "out" / name
    runner = CliRunner()
    common = ["--text-col", "text", "--label-col", "y", "--engine", engine]
    result = runner.invoke(app, ["train-sentiment", str(src), *common, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped 2 rows (empty text 1, unknown label 1)" in result.output
    assert out.exists() and f"model written to {out}" in result.output
    assert ("note: analysis.sentiment_engine is ngram" in result.output) == (engine == "snownlp")

    result = runner.invoke(app, ["eval-sentiment", str(src), *common, "--model", str(out)])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert LAST_LINE.fullmatch(last), last
    assert last.endswith(" n=120")
    accuracy = float(last.split()[0].split("=")[1])
    assert accuracy > 0.9  # the texts it was trained on

    # without --model: the model in use (none trained at the configured path: the shipped one)
    result = runner.invoke(app, ["eval-sentiment", str(src), *common])
    assert result.exit_code == 0, result.output
    assert f"model {shipped}" in result.output
    assert LAST_LINE.fullmatch(result.output.strip().splitlines()[-1])


def test_cli_errors_are_input_errors(tmp_path):
    src = tmp_path / "labelled.csv"
    write_csv(src, labelled_rows(10))
    runner = CliRunner()
    for args, message in [
        (["eval-sentiment", str(tmp_path / "none.csv")], "no such file"),
        (["eval-sentiment", str(src)], "no column 'x'"),
        (["train-sentiment", str(src), "--out", str(tmp_path / "m")], "no column 'x'"),
        (["train-sentiment", "--out", str(tmp_path / "m")], "give FILE"),
        (["train-sentiment", "--shipped", str(src)], "give no FILE"),
        (["train-sentiment", "--shipped", "--data", str(tmp_path / "none")], "no such folder"),
    ]:
        result = runner.invoke(app, [*args, "--text-col", "x", "--label-col", "label"])
        assert isinstance(result.exception, InputError), result.output
        assert message in str(result.exception)
    assert not (tmp_path / "m").exists()
