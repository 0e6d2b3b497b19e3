"""Sentiment accuracy on held-out posts: the default model, SnowNLP's shipped one, retrained ones.

First the Weibo test part of `analysis.sentiment_recipe` (clue_emotion_weibo.csv: the posts whose
text hashes into the test 20%, which no training and no tuning reads; "ambiguous" posts left out),
positive against negative, a score above 0.5 positive:

* the model a fresh installation uses (the shipped n-gram model, config/sentiment_weibo.npz), with
  how its scores fall into the bands the product reads (below 0.4 negative, 0.6 and up positive);
* SnowNLP's shipped model;
* SnowNLP's classifier retrained on what the n-gram model was trained on (the Weibo training part
  and all reviews: `analysis.sentiment_train.train`);
* with --remake, a model remade by the recipe here and now (`yuqing train-sentiment --shipped`).

Then, for each review CSV (columns `label` 1/0 and `review`): the rows are split reproducibly
into 80% for training and 20% held out (seeded, stratified by label); printed are SnowNLP's
shipped model's accuracy and macro-F1 on the whole set and on the held-out 20%, then those of a
SnowNLP model retrained on the 80% on the same 20%. (The n-gram model is trained on every review
row, so it is not measured there.)

    python bench/sentiment_eval.py [--remake] [--seed 20261127] [--data ../shared/data/sentiment]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sentiment"
FILES = ("waimai_10k.csv", "online_shopping_7cats_clean_sample.csv")
TEXT, LABEL = "review", "label"


def split(rows: list[dict], seed: int, held_out: float = 0.2) -> tuple[list[dict], list[dict]]:
    """(train, test): per label, a seeded shuffle; the first `held_out` share is the test set."""
    rnd = random.Random(seed)
    train, test = [], []
    for label in sorted({r[LABEL] for r in rows}):
        group = [r for r in rows if r[LABEL] == label]
        rnd.shuffle(group)
        k = round(len(group) * held_out)
        test += group[:k]
        train += group[k:]
    return train, test


def write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[TEXT, LABEL], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def line(name: str, r: dict, width: int = 34) -> str:
    return f"  {name:<{width}} accuracy={r['accuracy']:.3f} macro_f1={r['macro_f1']:.3f} n={r['n']}"


def bands(labels: list[bool], scores: list[float]) -> str:
    """How each class's scores fall into the product's bands."""
    parts = []
    for name, want in (("negative", False), ("positive", True)):
        got = [s for s, lab in zip(scores, labels, strict=True) if lab == want]
        low = sum(s < 0.4 for s in got) / len(got)
        high = sum(s >= 0.6 for s in got) / len(got)
        parts.append(
            f"{name} posts {low:.1%} below 0.4, {1 - low - high:.1%} neutral, {high:.1%} 0.6 and up"
        )
    return "; ".join(parts)


def weibo(data: Path, remake: bool) -> None:
    """The Weibo test part: the default model, SnowNLP shipped and retrained, and a remade model."""
    from analysis import snowfast
    from analysis.sentiment_ngram import SHIPPED_MODEL, NgramSentiment
    from analysis.sentiment_recipe import TEST_SHARE, WEIBO, reviews, train_shipped
    from analysis.sentiment_recipe import weibo as weibo_parts
    from analysis.sentiment_train import metrics, train

    if not (data / WEIBO).exists():
        print(f"skipped: {data / WEIBO} not found")
        return
    parts = weibo_parts(data)
    texts, labels = parts.test.texts, parts.test.labels
    print(
        f"{WEIBO}: test part ({TEST_SHARE}% of the posts by a hash of their text, never trained "
        f"or tuned on): {len(texts)} posts ({sum(labels)} positive, "
        f"{len(labels) - sum(labels)} negative; "
        + ", ".join(f"{n} left out: {why}" for why, n in parts.skipped.items())
        + ")"
    )
    width = 58

    def measure(name: str, scores: list[float]) -> None:
        print(line(name, dict(metrics(labels, [x > 0.5 for x in scores])), width))

    default = NgramSentiment(None).score_many(list(texts))
    measure(f"default model ({SHIPPED_MODEL.relative_to(ROOT)})", default)
    print(f"    bands: {bands(labels, default)}")
    snownlp = snowfast.score_many(texts)
    measure("SnowNLP shipped model", snownlp)
    print(f"    bands: {bands(labels, snownlp)}")
    with tempfile.TemporaryDirectory(prefix="sentiment_eval_") as tmp:
        src = Path(tmp) / "train.csv"
        extra = reviews(data)
        rows = [
            {"review": t, "label": int(lab)}
            for t, lab in zip(parts.train.texts, parts.train.labels, strict=True)
        ]
        rows += [
            {"review": t, "label": int(lab)}
            for t, lab in zip(extra.texts, extra.labels, strict=True)
        ]
        write(src, rows)
        train(src, TEXT, LABEL, Path(tmp) / "snownlp.marshal")
        retrained = snowfast.load(Path(tmp) / "snownlp.marshal", cache=False)
        measure(
            "SnowNLP retrained on the training part + reviews",
            snowfast.score_many(texts, retrained),
        )
        if remake:
            from analysis.sentiment_ngram import load

            report = train_shipped(data, Path(tmp) / "remade.npz")
            remade = load(Path(tmp) / "remade.npz").score_many(list(texts))
            measure(f"n-gram model remade now ({report['seconds']:.0f} s)", remade)
            same = "the same scores" if remade == default else "different scores"
            print(f"    {same} as the default model")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--remake", action="store_true", help="also remake the n-gram model")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"skipped: {args.data} not found")
        return 0
    weibo(args.data, args.remake)
    from analysis.sentiment import SHIPPED, Sentiment
    from analysis.sentiment_train import evaluate, train

    # No configured model: the models are named below, the retrained one is not cached.
    in_use = Sentiment()

    for name in FILES:
        path = args.data / name
        if not path.exists():
            print(f"skipped: {path} not found")
            continue
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        train_rows, test_rows = split(rows, args.seed)
        with tempfile.TemporaryDirectory(prefix="sentiment_eval_") as tmp:
            tmp = Path(tmp)
            train_csv = write(tmp / "train.csv", train_rows)
            test_csv = write(tmp / "test.csv", test_rows)
            whole = evaluate(path, TEXT, LABEL, model=SHIPPED, in_use=in_use)
            print(
                f"{name}: {whole['n']} rows ({whole['n_pos']} positive, {whole['n_neg']} "
                f"negative, {sum(whole['skipped'].values())} skipped); 80/20 split stratified by "
                f"label, seed {args.seed}: {len(train_rows)} / {len(test_rows)} rows"
            )
            print(line("shipped model, whole set", whole))
            held_out = evaluate(test_csv, TEXT, LABEL, SHIPPED, in_use=in_use)
            print(line("shipped model, held-out 20%", held_out))
            report = train(train_csv, TEXT, LABEL, tmp / "model.marshal")
            retrained = evaluate(test_csv, TEXT, LABEL, model=tmp / "model.marshal", in_use=in_use)
            print(
                line("retrained on the 80%, held-out 20%", retrained)
                + f"  (trained on {report['n_pos'] + report['n_neg']} texts"
                f" in {report['seconds']:.1f} s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
