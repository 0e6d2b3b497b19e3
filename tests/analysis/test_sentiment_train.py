"""analysis.sentiment_train: SnowNLP's own training and model format, exact scores with a retrained
model, bad rows, CSV/xlsx input, and the metrics."""

from __future__ import annotations

import shutil

import pytest

from analysis import snowfast, snowfast_tables
from analysis.sentiment import Sentiment
from analysis.sentiment_train import evaluate, metrics, read_labelled, train
from core.errors import InputError
from tests.factories import LABELS, labelled_rows, varied_texts, write_csv


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    rows = labelled_rows(300)
    src = tmp / "labelled.csv"
    write_csv(src, rows)
    out = tmp / "models" / "sentiment.marshal"
    report = train(src, "review", "label", out)
    return rows, out, report


def test_training_is_snownlps_own(trained):
    """The saved model equals what SnowNLP's Sentiment.train builds from the same texts."""
    from snownlp.sentiment import Sentiment

    rows, out, report = trained
    neg = [t for t, lab in rows if LABELS[lab] == 0]
    pos = [t for t, lab in rows if LABELS[lab] == 1]
    assert (report["n_pos"], report["n_neg"]) == (len(pos), len(neg))
    assert report["skipped"] == {} and report["model"] == str(out)
    assert not list(out.parent.glob("*.tmp"))  # written atomically, nothing left behind

    ref = Sentiment()
    ref.train(neg, pos)
    ours = snowfast_tables.load_marshal(out)  # gzip + marshal, as Bayes.save writes it
    assert list(ours) == ["total", "d"] and list(ours["d"]) == list(ref.classifier.d)
    assert ours["total"] == ref.classifier.total and type(ours["total"]) is float
    for name, prob in ref.classifier.d.items():
        assert ours["d"][name] == prob.__dict__
        assert type(ours["d"][name]["total"]) is float


def test_retrained_model_scores_bit_identical(trained, tmp_path):
    """snowfast with the retrained model == SnowNLP's classifier loaded from the same file."""
    from snownlp.sentiment import Sentiment

    _, out, _ = trained
    shutil.copy(out, tmp_path / "ref.marshal.3")  # SnowNLP's load appends '.3' to the name
    ref = Sentiment()
    ref.load(str(tmp_path / "ref.marshal"))
    assert ref.classifier.total == snowfast_tables.load_marshal(out)["total"]  # not the shipped

    texts = [t for t in varied_texts(2000, seed=11) if t] + [t for t, _ in labelled_rows(100, 9)]
    assert len(texts) >= 2000
    m = snowfast.load(out, cache=False)
    got = snowfast.score_many(texts, m)
    want = [ref.classify(t) for t in texts]
    bad = [
        (t, g, w)
        for t, g, w in zip(texts, got, want, strict=True)
        if not (g == w and type(g) is type(w))
    ]
    assert not bad, f"{len(bad)} of {len(texts)} differ, e.g. {bad[:3]!r}"
    shipped = snowfast.score_many(texts)
    assert sum(a != b for a, b in zip(got, shipped, strict=True)) > len(texts) // 2


def test_bad_rows_are_skipped_and_counted(tmp_path):
    rows = labelled_rows(30) + [("", "1"), ("   ", "0"), ("还行", "maybe"), ("一般", "")]
    src = tmp_path / "x.csv"
    write_csv(src, rows)
    with open(src, "a", encoding="utf-8") as f:
        f.write("1\n\n")  # a short row (no text cell) and a blank line
    report = train(src, "review", "label", tmp_path / "m.marshal")
    assert report["skipped"] == {"empty text": 3, "unknown label": 2}
    assert report["n_pos"] + report["n_neg"] == 30
    assert "row 34: unknown label 'maybe'" in report["examples"]
    result = evaluate(src, "review", "label", tmp_path / "m.marshal", in_use=Sentiment())
    assert result["skipped"] == {"empty text": 3, "unknown label": 2} and result["n"] == 30


def test_input_errors(tmp_path):
    src = tmp_path / "x.csv"
    write_csv(src, labelled_rows(10))
    with pytest.raises(InputError, match="no such file"):
        train(tmp_path / "missing.csv", "review", "label", tmp_path / "m")
    with pytest.raises(InputError, match=r"no column 'text'.*'label', 'review'"):
        train(src, "text", "label", tmp_path / "m")
    with pytest.raises(InputError, match="no such model file"):
        evaluate(src, "review", "label", tmp_path / "nope.marshal", in_use=Sentiment())
    one_class = tmp_path / "pos.csv"
    write_csv(one_class, [(t, "1") for t, _ in labelled_rows(5)])
    with pytest.raises(InputError, match="positive and negative"):
        train(one_class, "review", "label", tmp_path / "m")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("label,review\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_labelled(latin1, "review", "label")
    not_a_model = tmp_path / "junk.marshal"
    not_a_model.write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a SnowNLP sentiment model"):
        evaluate(src, "review", "label", not_a_model, in_use=Sentiment())
    assert not (tmp_path / "m").exists()


def test_xlsx_input(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编号", "内容", "情感"])
    sheet.append([1, "服务很好", 1])
    sheet.append([2, "太差了", 0.0])
    sheet.append([3, "一般", "正面"])
    sheet.append([4, None, "负面"])
    path = tmp_path / "x.xlsx"
    book.save(path)
    data = read_labelled(path, "内容", "情感")
    assert data["texts"] == ["服务很好", "太差了", "一般"]
    assert data["labels"] == ["pos", "neg", "pos"]
    assert data["skipped"] == {"empty text": 1}


def test_metrics():
    actual = [True, True, True, False, False, False, False, False]
    predicted = [True, True, False, True, False, False, False, False]
    m = metrics(actual, predicted)
    # positive: tp 2, fp 1, fn 1 -> F1 2/3; negative: tp 4, fp 1, fn 1 -> F1 0.8
    assert m["accuracy"] == 6 / 8 and m["n"] == 8 and (m["n_pos"], m["n_neg"]) == (3, 5)
    assert m["f1_pos"] == pytest.approx(2 / 3) and m["f1_neg"] == pytest.approx(0.8)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert metrics([True, False], [False, False])["f1_pos"] == 0.0


def test_evaluate_counts_half_as_negative(trained, monkeypatch):
    rows, out, _ = trained
    src = out.parent / "eval.csv"
    write_csv(src, rows[:40])
    monkeypatch.setattr(snowfast, "score_many", lambda texts, m=None: [0.5] * len(texts))
    result = evaluate(src, "review", "label", out, in_use=Sentiment())
    n_neg = sum(LABELS[lab] == 0 for _, lab in rows[:40])
    assert result["accuracy"] == n_neg / 40
