"""How the shipped sentiment model is made from public data, so anyone with the data remakes it.

The data (not in the repository; `yuqing train-sentiment --shipped` reads them from a folder,
by default ../shared/data/sentiment):

* `clue_emotion_weibo.csv`: Weibo posts with an emotion label and its polarity (CLUEmotion2020).
  Posts whose polarity is "ambiguous" (surprise) are left out. A post's part is fixed by its
  text alone: the BLAKE2b hash of its content, modulo 100, below `TEST_SHARE` is the **test**
  part, which no training and no tuning ever reads; the rest is the training part, in
  `FOLDS` folds (the same hash modulo `FOLDS`) for choosing the settings and the threshold.
  The same text always lands in the same part, so a post repeated in the corpus cannot be on
  both sides.
* `waimai_10k.csv`, `online_shopping_7cats_clean_sample.csv`: reviews (label 1/0), all of them
  training data, each weighted `Params.review_weight` next to a Weibo post. For validation they
  are folded like the posts (hash modulo `FOLDS`), so each fold's model is also measured on
  reviews it did not see.

The model: `ngram_train.fit_model` with `Params()` on the Weibo training part and the reviews.
Its threshold is the one with the best macro-F1 over the Weibo training part's out-of-fold
scores (each fold scored by a model fitted without it), searched in steps of 0.01.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.ngram_train import SHIPPED_PARAMS, Params, fit_model
from analysis.sentiment_ngram import NgramModel
from analysis.sentiment_train import Metrics, metrics
from core.errors import InputError

WEIBO = "clue_emotion_weibo.csv"
REVIEWS = ("waimai_10k.csv", "online_shopping_7cats_clean_sample.csv")
TEST_SHARE = 20  # percent of the Weibo posts
FOLDS = 5
POLARITY = {"positive": True, "negative": False}


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: list[bool]


@dataclass(frozen=True)
class WeiboParts:
    """The Weibo posts by part: training (with each post's fold) and test."""

    train: Labelled
    folds: list[int]
    test: Labelled
    skipped: dict[str, int]


def part_of(text: str) -> int:
    """0..99 from the text alone: below TEST_SHARE is the test part."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file (the shipped model's recipe needs it)")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: no column {', '.join(map(repr, missing))}")
        return list(reader)


def weibo(data_dir: Path) -> WeiboParts:
    """The Weibo posts of `data_dir`, split into their parts."""
    train, test = Labelled([], []), Labelled([], [])
    folds: list[int] = []
    skipped: Counter[str] = Counter()
    for row in _rows(data_dir / WEIBO, ("polarity", "content")):
        text, label = row["content"], POLARITY.get(row["polarity"])
        if not text.strip():
            skipped["empty text"] += 1
            continue
        if label is None:
            skipped[f"polarity {row['polarity']}"] += 1
            continue
        part = part_of(text)
        into = test if part < TEST_SHARE else train
        into.texts.append(text)
        into.labels.append(label)
        if part >= TEST_SHARE:
            folds.append(part % FOLDS)
    return WeiboParts(train, folds, test, dict(skipped))


def reviews(data_dir: Path, names: tuple[str, ...] = REVIEWS) -> Labelled:
    """The labelled reviews of the named files (label 1 positive, 0 negative)."""
    out = Labelled([], [])
    for name in names:
        for row in _rows(data_dir / name, ("label", "review")):
            if row["review"].strip() and row["label"] in ("0", "1"):
                out.texts.append(row["review"])
                out.labels.append(row["label"] == "1")
    return out


def fit(
    posts: Labelled,
    extra: Labelled,
    params: Params,
    threshold: float = 0.5,
    meta: dict[str, Any] | None = None,
) -> NgramModel:
    """A model on Weibo posts (weight 1) and reviews (weight `params.review_weight`)."""
    weights = [1.0] * len(posts.texts) + [params.review_weight] * len(extra.texts)
    return fit_model(
        posts.texts + extra.texts,
        posts.labels + extra.labels,
        weights,
        params=params,
        threshold=threshold,
        meta=meta,
    )


def out_of_fold(
    parts: WeiboParts, extra: Labelled, params: Params
) -> tuple[list[float], list[float]]:
    """Each training post's and each review's score by a model fitted without its fold
    (threshold 0.5). A review's fold is its text's hash modulo FOLDS, as a post's."""
    post_folds = parts.folds
    review_folds = [part_of(t) % FOLDS for t in extra.texts]
    posts = [0.0] * len(parts.train.texts)
    revs = [0.0] * len(extra.texts)
    for k in range(FOLDS):
        model = fit(_without(parts.train, post_folds, k), _without(extra, review_folds, k), params)
        for scores, data, folds in ((posts, parts.train, post_folds), (revs, extra, review_folds)):
            held = [i for i, f in enumerate(folds) if f == k]
            for i, s in zip(held, model.score_many([data.texts[i] for i in held]), strict=True):
                scores[i] = s
    return posts, revs


def _without(data: Labelled, folds: list[int], k: int) -> Labelled:
    keep = [i for i, f in enumerate(folds) if f != k]
    return Labelled([data.texts[i] for i in keep], [data.labels[i] for i in keep])


def best_threshold(labels: list[bool], scores: list[float]) -> tuple[float, Metrics]:
    """The threshold of best macro-F1 (0.20 to 0.80 by 0.01; a tie goes to the one nearest
    0.5), and the metrics there."""
    s = np.array(scores)
    best: tuple[tuple[float, float], float, Metrics] | None = None
    for t in np.round(np.arange(0.20, 0.8001, 0.01), 2).tolist():
        m = metrics(labels, (s > t).tolist())
        key = (m["macro_f1"], -abs(t - 0.5))
        if best is None or key > best[0]:
            best = (key, t, m)
    assert best is not None
    return best[1], best[2]


def train_shipped(data_dir: Path, out: Path, params: Params = SHIPPED_PARAMS) -> dict[str, Any]:
    """Make the shipped model from the data in `data_dir` and write it to `out`.

    Returns the parts' sizes, the validation figures (out-of-fold, at 0.5 and at the chosen
    threshold), the threshold, seconds and the model's path.
    """
    started = time.perf_counter()
    parts = weibo(data_dir)
    extra = reviews(data_dir)
    oof, oof_reviews = out_of_fold(parts, extra, params)
    at_half = metrics(parts.train.labels, [s > 0.5 for s in oof])
    threshold, chosen = best_threshold(parts.train.labels, oof)
    on_reviews = metrics(extra.labels, [s > threshold for s in oof_reviews])
    meta = {
        "recipe": "analysis.sentiment_recipe",
        "trained_on": {
            WEIBO: f"{len(parts.train.texts)} posts (the training part; "
            f"{len(parts.test.texts)} test posts left out)",
            **{name: "all rows" for name in REVIEWS},
        },
        "validation": {"at_0.5": at_half, "at_threshold": chosen, "reviews": on_reviews},
    }
    model = fit(parts.train, extra, params, threshold, meta)
    model.save(out)
    return {
        "train": len(parts.train.texts),
        "test": len(parts.test.texts),
        "reviews": len(extra.texts),
        "skipped": parts.skipped,
        "validation_at_half": at_half,
        "validation": chosen,
        "validation_reviews": on_reviews,
        "threshold": threshold,
        "seconds": time.perf_counter() - started,
        "model": str(out),
    }
