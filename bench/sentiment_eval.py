"""Sentiment accuracy: SnowNLP's shipped model against a model retrained on the same kind of text.

For each labelled CSV in ../shared/data/sentiment/ (columns `label` 1/0 and `review`): the rows are
split reproducibly into 80% for training and 20% held out (seeded, stratified by label); printed are
the shipped model's accuracy and macro-F1 on the whole set and on the held-out 20%, then those of
a model retrained on the 80% (`analysis.sentiment_train.train`, written to a temporary directory)
on the same held-out 20%.  A score above 0.5 counts as positive.

    python bench/sentiment_eval.py [--seed 20261127] [--data ../shared/data/sentiment]
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


def line(name: str, r: dict) -> str:
    return f"  {name:<34} accuracy={r['accuracy']:.3f} macro_f1={r['macro_f1']:.3f} n={r['n']}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"skipped: {args.data} not found")
        return 0
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
