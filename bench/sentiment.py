"""Sentiment benchmark: analysis.snowfast.score_many against looping SnowNLP(t).sentiments.

Both run in this process on the same texts (the first --texts reviews of waimai_10k.csv); each is
timed 3 times and the median is printed, with the ratio.  score_many is timed twice: "steady",
where the loaded tables persist between calls (as in a long-running service), and "cold tables",
where every loaded table is dropped before each call (so each call maps the segmentation tables and
reads the classifier tables from the cache files again).  Also printed: the cold start of snowfast
(import + loading the cached tables, in a fresh process; the median of 3 such processes after one
warm-up run that may write Python's bytecode cache, as any installation has after its first run),
with the part of it spent importing numpy and the settings (core.settings, pydantic), and whether
the scores are bit-identical.  Last, the default model (the n-gram model,
`analysis.sentiment_ngram`) on the same texts in batches of 500, as the crawl pipeline scores
them, with its loading time.

    python bench/sentiment.py [--texts 3000] [--data ../shared/data/sentiment/waimai_10k.csv]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sentiment" / "waimai_10k.csv"

COLD = """
import sys, time
sys.dont_write_bytecode = False  # a normal installation keeps its bytecode cache
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
import core.settings
t2 = time.perf_counter()
from analysis import snowfast
snowfast.model()
t3 = time.perf_counter()
print(t3 - t0, t1 - t0, t2 - t1)
"""


def cold_start() -> tuple[float, float, float]:
    """(total, numpy import, settings import) of a fresh process: median of 3 after a warm-up."""
    runs = []
    for _ in range(4):
        out = subprocess.run(
            [sys.executable, "-c", COLD],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(tuple(map(float, out.split())))
    return sorted(runs[1:])[1]


def timed(fn, reps: int = 3, before=None) -> tuple[float, list[float]]:
    times = []
    for _ in range(reps):
        if before:
            before()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return result, times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=3000, help="number of reviews (0: all)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} not found")
        return 0
    with open(args.data, encoding="utf-8", newline="") as f:
        texts = [row["review"] for row in csv.DictReader(f) if row["review"]]
    if args.texts:
        texts = texts[: args.texts]
    n = len(texts)

    # cold start: fresh process, cache already built (build it here first when missing)
    from analysis import snowfast

    snowfast.model()
    cold, cold_numpy, cold_settings = cold_start()

    fast, t_cold = timed(lambda: snowfast.score_many(texts), before=snowfast.clear_caches)
    fast, t_fast = timed(lambda: snowfast.score_many(texts))

    t = time.perf_counter()
    from snownlp import SnowNLP

    t_import = time.perf_counter() - t
    slow, t_slow = timed(lambda: [SnowNLP(x).sentiments for x in texts])

    from analysis.sentiment_ngram import NgramSentiment

    t = time.perf_counter()
    ngram = NgramSentiment()
    ngram.model()
    t_ngram_load = time.perf_counter() - t
    _, t_ngram = timed(lambda: [ngram.score_many(texts[i : i + 500]) for i in range(0, n, 500)])

    mism = sum(a != b for a, b in zip(fast, slow, strict=True))
    m_fast, m_cold, m_slow = (statistics.median(x) for x in (t_fast, t_cold, t_slow))
    chars = sum(map(len, texts)) / n
    print(f"{n} texts ({chars:.1f} chars on average) from {args.data.name}; mismatches: {mism}")
    print(
        f"SnowNLP loop            {n / m_slow:10.0f} texts/s  (median of 3; "
        f"import snownlp {t_import:.2f} s)"
    )
    print(
        f"snowfast steady         {n / m_fast:10.0f} texts/s  ratio {m_slow / m_fast:5.1f}x  "
        f"(runs: {', '.join(f'{n / x:.0f}' for x in t_fast)})"
    )
    print(
        f"snowfast cold tables    {n / m_cold:10.0f} texts/s  ratio {m_slow / m_cold:5.1f}x  "
        f"(tables dropped before each run)"
    )
    print(
        f"snowfast cold start     {cold:10.3f} s  (fresh process: import + load cached tables; "
        f"of which import numpy {cold_numpy:.3f} s, core.settings {cold_settings:.3f} s)"
    )
    m_ngram = statistics.median(t_ngram)
    print(
        f"n-gram model            {n / m_ngram:10.0f} texts/s  ratio {m_slow / m_ngram:5.1f}x  "
        f"(the default model, batches of 500; loaded in {t_ngram_load:.3f} s)"
    )
    return 1 if mism else 0


if __name__ == "__main__":
    sys.exit(main())
