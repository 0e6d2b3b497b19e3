"""Choosing the sentiment model on validation data only: SnowNLP's classifier against n-gram models.

Reads the Weibo *training* part of `analysis.sentiment_recipe` (its test part is never read
here) and the reviews, from ../shared/data/sentiment. Posts and reviews are scored out of fold:
each of 5 folds by a model fitted on the other four. Printed for each candidate: on the Weibo
posts, accuracy and macro-F1 at 0.5 and at the threshold of best macro-F1 (that threshold too);
on the reviews, the same at that threshold. The candidates:

* SnowNLP's shipped classifier (fitted on nothing here);
* SnowNLP's classifier retrained (`analysis.sentiment_train.train`, SnowNLP's own Bayes) on the
  Weibo folds, then on the Weibo folds and all reviews;
* the n-gram model with the shipped settings (`analysis.ngram_train.Params()`), and with
  `--grid` its neighbours: one setting changed at a time (a review weight of 0: reviews count
  for the IDF only).

    python bench/sentiment_tune.py [--grid] [--data ../shared/data/sentiment]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.sentiment_recipe import Labelled, WeiboParts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sentiment"


def line(
    name: str,
    labels: list[bool],
    scores: list[float],
    extra: Labelled,
    review_scores: list[float] | None,
    seconds: float,
) -> str:
    from analysis.sentiment_recipe import best_threshold
    from analysis.sentiment_train import metrics

    half = metrics(labels, [s > 0.5 for s in scores])
    t, best = best_threshold(labels, scores)
    out = (
        f"  {name:<34} Weibo at 0.5: accuracy={half['accuracy']:.3f} "
        f"macro_f1={half['macro_f1']:.3f}; at {t:.2f}: accuracy={best['accuracy']:.3f} "
        f"macro_f1={best['macro_f1']:.3f}"
    )
    if review_scores is not None:
        r = metrics(extra.labels, [s > t for s in review_scores])
        out += f"; reviews at {t:.2f}: accuracy={r['accuracy']:.3f} macro_f1={r['macro_f1']:.3f}"
    return out + f" ({seconds:.0f} s)"


def snownlp_out_of_fold(parts: WeiboParts, extra: Labelled) -> tuple[list[float], list[float]]:
    """Each training post's and review's score by SnowNLP's Bayes retrained without its fold
    (on `extra` too, when it has texts)."""
    from analysis import snowfast
    from analysis.sentiment_recipe import FOLDS, part_of
    from analysis.sentiment_train import train

    review_folds = [part_of(t) % FOLDS for t in extra.texts]
    posts = [0.0] * len(parts.train.texts)
    revs = [0.0] * len(extra.texts)
    with tempfile.TemporaryDirectory(prefix="sentiment_tune_") as tmp:
        src, model = Path(tmp) / "train.csv", Path(tmp) / "model.marshal"
        for k in range(FOLDS):
            with open(src, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["text", "label"])
                for data, folds in ((parts.train, parts.folds), (extra, review_folds)):
                    for text, label, fold in zip(data.texts, data.labels, folds, strict=True):
                        if fold != k:
                            w.writerow([text, int(label)])
            train(src, "text", "label", model)
            m = snowfast.load(model, cache=False)
            for scores, data, folds in (
                (posts, parts.train, parts.folds),
                (revs, extra, review_folds),
            ):
                held = [i for i, fold in enumerate(folds) if fold == k]
                held_scores = snowfast.score_many([data.texts[i] for i in held], m)
                for i, s in zip(held, held_scores, strict=True):
                    scores[i] = s
    return posts, revs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--grid", action="store_true", help="also the shipped settings' neighbours")
    args = ap.parse_args()
    if not (args.data / "clue_emotion_weibo.csv").exists():
        print(f"skipped: {args.data / 'clue_emotion_weibo.csv'} not found")
        return 0
    from analysis import snowfast
    from analysis.ngram_train import SHIPPED_PARAMS
    from analysis.sentiment_recipe import Labelled, out_of_fold, reviews, weibo  # noqa: F811

    parts = weibo(args.data)
    extra = reviews(args.data)
    labels = parts.train.labels
    print(
        f"Weibo training part: {len(labels)} posts ({sum(labels)} positive), 5 folds; "
        f"{len(extra.texts)} reviews, folded alike; the test part "
        f"({len(parts.test.texts)} posts) is not read"
    )
    t = time.perf_counter()
    shipped = snowfast.score_many(parts.train.texts)
    on_reviews = snowfast.score_many(extra.texts)
    print(line("SnowNLP shipped", labels, shipped, extra, on_reviews, time.perf_counter() - t))
    t = time.perf_counter()
    scores, _ = snownlp_out_of_fold(parts, Labelled([], []))
    print(line("SnowNLP retrained, Weibo", labels, scores, extra, None, time.perf_counter() - t))
    t = time.perf_counter()
    scores, on_reviews = snownlp_out_of_fold(parts, extra)
    seconds = time.perf_counter() - t
    print(line("SnowNLP retrained, Weibo + reviews", labels, scores, extra, on_reviews, seconds))
    candidates = [("n-gram, shipped settings", SHIPPED_PARAMS)]
    if args.grid:
        p = SHIPPED_PARAMS
        candidates += [(f"n-gram, C={c:g}", replace(p, C=c)) for c in (3.0, 30.0) if c != p.C]
        candidates += [
            (f"n-gram, review weight {w:g}", replace(p, review_weight=w))
            for w in (0.0, 0.05, 0.1, 0.2, 0.4, 1.0)
            if w != p.review_weight
        ]
        candidates += [
            (f"n-gram, 1-{n} characters", replace(p, orders=n)) for n in (2, 4) if n != p.orders
        ]
        candidates += [
            (f"n-gram, 2**{b} buckets", replace(p, bits=b)) for b in (18,) if b != p.bits
        ]
    for name, params in candidates:
        t = time.perf_counter()
        scores, on_reviews = out_of_fold(parts, extra, params)
        seconds = time.perf_counter() - t
        print(line(name, labels, scores, extra, on_reviews, seconds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
