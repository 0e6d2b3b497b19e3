"""Train and measure n-gram sentiment models (`analysis.sentiment_ngram`) on labelled texts.

`fit_model` fits one model on texts with their labels and weights; `train` does it for a
labelled file (the office's own texts, `yuqing train-sentiment FILE`); `evaluate` measures a
model on a labelled file (`yuqing eval-sentiment`). A score above 0.5 counts as positive.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis import ngram_fit
from analysis.sentiment_ngram import NgramModel, NgramSentiment, load
from analysis.sentiment_train import THRESHOLD, metrics, read_labelled
from core.errors import InputError


@dataclass(frozen=True)
class Params:
    """How a model is fitted; the defaults are the shipped model's, chosen on validation
    (`bench/sentiment_tune.py`)."""

    bits: int = 20  # 2**bits hash buckets
    orders: int = 3  # n-grams of 1 to `orders` characters
    C: float = 10.0  # inverse strength of the L2 penalty
    review_weight: float = 0.1  # weight of a review next to a Weibo post (the shipped recipe)


SHIPPED_PARAMS = Params()


def fit_model(
    texts: Sequence[str],
    labels: Sequence[bool],
    sample_weight: Sequence[float] | None = None,
    *,
    params: Params = SHIPPED_PARAMS,
    threshold: float = THRESHOLD,
    meta: dict[str, Any] | None = None,
) -> NgramModel:
    """A model fitted on the texts (True: positive); `threshold` is the raw probability that
    becomes the score 0.5."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    y = np.array(labels, dtype=np.float64)
    sw = np.ones(len(y)) if sample_weight is None else np.array(sample_weight, dtype=np.float64)
    # the model keeps its numbers in the precision it is saved with, so it scores the same
    # before and after a save
    idf = ngram_fit.idf_of(texts, params.bits, params.orders).astype(np.float16)
    d = ngram_fit.design(texts, idf.astype(np.float64), params.bits, params.orders)
    compact, used = ngram_fit.compact(d)
    w, bias = ngram_fit.fit(compact, y, sw, C=params.C)
    weights = np.zeros(1 << params.bits, dtype=np.float32)
    weights[used] = w
    shift = float(np.log(threshold / (1.0 - threshold)))
    info = {"params": asdict(params), "threshold": threshold, **(meta or {})}
    return NgramModel(params.bits, params.orders, weights, idf, bias, shift, info)


def train(
    path: str | Path,
    text_col: str,
    label_col: str,
    out: str | Path,
    params: Params = SHIPPED_PARAMS,
) -> dict[str, Any]:
    """Fit a model on the labelled file and write it to `out` (threshold 0.5).

    Returns n_pos, n_neg, skipped ({reason: count}), examples, buckets (used), seconds, model.
    """
    started = time.perf_counter()
    data = read_labelled(path, text_col, label_col)
    labels = [lab == "pos" for lab in data["labels"]]
    n_pos = sum(labels)
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        raise InputError(
            f"{path}: training needs positive and negative texts; "
            f"found {n_pos} positive, {n_neg} negative"
        )
    model = fit_model(
        data["texts"], labels, params=params, meta={"trained_on": {Path(path).name: len(labels)}}
    )
    dest = Path(out)
    model.save(dest)
    return {
        "n_pos": n_pos,
        "n_neg": n_neg,
        "skipped": data["skipped"],
        "examples": data["examples"],
        "buckets": int(np.count_nonzero(model.weights)),
        "seconds": time.perf_counter() - started,
        "model": str(dest),
    }


def evaluate(
    path: str | Path,
    text_col: str,
    label_col: str,
    model: str | Path | None,
    *,
    in_use: NgramSentiment,
) -> dict[str, Any]:
    """Accuracy and macro-F1 of an n-gram model on the labelled file (None: the model
    `in_use`). Returns what `analysis.sentiment_train.evaluate` returns."""
    data = read_labelled(path, text_col, label_col)
    if model is None:
        m = in_use.model()
    else:
        model = Path(model)
        if not model.is_file():
            raise InputError(f"{model}: no such model file")
        try:
            m = load(model)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    texts: list[str | None] = list(data["texts"])
    predicted = [s > THRESHOLD for s in m.score_many(texts)]
    return dict(
        metrics([lab == "pos" for lab in data["labels"]], predicted),
        skipped=data["skipped"],
        examples=data["examples"],
        model=m.source,
    )
