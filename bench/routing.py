"""Routing benchmark: analysis.routing on real board messages labelled with their category.

Each message's title (留言主题) and text (留言详情) are routed with the category hidden; a guess is
correct when it is one of the departments that handle the message's first-level category
(CATEGORY_DEPARTMENTS below). Printed: accuracy, coverage (share with any guess), accuracy at
confidence >= 0.5, accuracy by confidence band, a per-category table with the most frequent wrong
guesses, a sanity line with the category given, and the time per post against jieba.lcut of the
same texts in the same run (each post timed alone, best of --repeat, median over the posts).

    python bench/routing.py [--data ../shared/data/message_board/messages_with_category.csv]
                            [--repeat 5] [--departments config/departments.yaml]

The data is only read here, at run time; nothing from it is part of the project.
"""

from __future__ import annotations

import argparse
import csv
import logging
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.routing import Guess, Router  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "message_board" / "messages_with_category.csv"

# Which departments handle each first-level category of the board. A department is in a
# category's set when it handles one of the subjects the board files under that category
# (category_taxonomy.csv lists them; read it for the mapping, the messages were not used). A
# guess of any department in the set counts as correct.
CATEGORY_DEPARTMENTS: dict[str, set[str]] = {
    # pensions, social insurance, wages, labour disputes, employment; medical insurance;
    # the housing provident fund (filed under wages and benefits)
    "劳动和社会保障": {"rsj", "ybj", "gjj"},
    # housing and property, planning and land, city management, water, power, work safety; the
    # board also files buses and the metro, and the housing provident fund, here
    "城乡建设": {"zjj", "zrzy", "cgj", "swj", "swjt", "gdgs", "yjgl", "xfzd", "jtj", "gjj"},
    # schools; culture, sport and heritage
    "教育文体": {"jyj", "wlt"},
    # hospitals, public health, family planning; food and drug safety
    "卫生计生": {"wjw", "scjg"},
    # roads, buses, taxis, freight; traffic police; post and parcels
    "交通运输": {"jtj", "jj", "yzgl"},
    # trade; tourism; market supervision (prices, quality, consumers)
    "商贸旅游": {"swuj", "wlt", "scjg"},
    "环境保护": {"sthj"},
}
LABEL_COLUMN = ("一级分类", "一级标签", "category")


def read_rows(path: Path) -> list[tuple[str, str, str]]:
    """(title, text, first-level category) of every row."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        label = next(c for c in LABEL_COLUMN if c in (reader.fieldnames or []))
        return [(r["留言主题"] or "", r["留言详情"] or "", r[label].strip()) for r in reader]


def per_post_us(fn, items, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Each item's best time over `repeat` runs, in microseconds."""
    best = [float("inf")] * len(items)
    clock = time.perf_counter_ns
    for _ in range(repeat):
        for k, item in enumerate(items):
            t = clock()
            fn(item)
            best[k] = min(best[k], clock() - t)
    return [ns / 1000 for ns in best]


def pct(a: int, b: int) -> str:
    return f"{a / b:6.1%}" if b else "     -"


def report(rows: list[tuple[str, str, str]], guesses: list[Guess]) -> None:
    # (category, guess, whether the guess is right) per message
    results = [
        (c, g, g.department in CATEGORY_DEPARTMENTS[c])
        for (_, _, c), g in zip(rows, guesses, strict=True)
    ]
    n = len(results)
    right = sum(ok for _, _, ok in results)
    guessed = sum(g.department is not None for _, g, _ in results)
    sure = [ok for _, g, ok in results if g.confidence >= 0.5]
    print(f"accuracy (category hidden)  {pct(right, n)}  ({right}/{n})")
    print(f"coverage (any guess)        {pct(guessed, n)}")
    print(
        f"accuracy at confidence>=0.5 {pct(sum(sure), len(sure))}  "
        f"({sum(sure)}/{len(sure)}, {len(sure) / n:.1%} of posts)"
    )
    print("\nby confidence      posts  accuracy")
    for lo, hi in ((0.0, 0.0001), (0.0001, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
        band = [ok for _, g, ok in results if lo <= g.confidence < hi]
        name = "0 (none or tie)" if hi < 0.001 else f"{lo:.2f}-{min(hi, 1):.2f}"
        print(f"  {name:15} {len(band):6}  {pct(sum(band), len(band))}")
    print(f"\n{'category':10} {'posts':>5} {'right':>6} {'acc':>7}  most frequent wrong guesses")
    by_size = Counter(c for c, _, _ in results)
    for label, size in by_size.most_common():
        mine = [(g, ok) for c, g, ok in results if c == label]
        ok_here = sum(ok for _, ok in mine)
        wrong = Counter(g.department or "-" for g, ok in mine if not ok).most_common(4)
        wrong_text = ", ".join(f"{code} {k}" for code, k in wrong)
        print(f"{label:10} {size:5} {ok_here:6} {pct(ok_here, size)}  {wrong_text}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--departments", type=Path, default=ROOT / "config" / "departments.yaml")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} not found")
        return 0
    rows = read_rows(args.data)
    unknown = {c for _, _, c in rows} - set(CATEGORY_DEPARTMENTS)
    if unknown:
        print(f"categories without a department mapping: {', '.join(sorted(unknown))}")
        return 1

    t = time.perf_counter()
    router = Router.from_file(args.departments)
    build = time.perf_counter() - t
    missing = set().union(*CATEGORY_DEPARTMENTS.values()) - set(router.names)
    if missing:
        print(f"mapped departments not in {args.departments}: {', '.join(sorted(missing))}")
        return 1

    guesses = [router.guess(title, text) for title, text, _ in rows]
    chars = statistics.median(len(title) + len(text) for title, text, _ in rows)
    print(f"{len(rows)} messages from {args.data.name}, median {chars:.0f} characters")
    report(rows, guesses)
    with_category = [router.guess(title, text, category=c) for title, text, c in rows]
    right = sum(
        g.department in CATEGORY_DEPARTMENTS[c]
        for (_, _, c), g in zip(rows, with_category, strict=True)
    )
    print(f"\nwith the category given (override check): {pct(right, len(rows))}")

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    route_us = per_post_us(lambda r: router.guess(r[0], r[1]), rows, args.repeat)
    jieba_us = per_post_us(lambda r: jieba.lcut(f"{r[0]}\n{r[1]}"), rows, args.repeat)
    per_char = statistics.median(
        us / max(1, len(a) + len(b)) for us, (a, b, _) in zip(route_us, rows, strict=True)
    )
    m_route, m_jieba = statistics.median(route_us), statistics.median(jieba_us)
    print(f"\ntime per post (best of {args.repeat}, median over {len(rows)} posts)")
    print(f"  routing      {m_route:8.1f} µs  ({per_char * 150:.1f} µs per 150 characters)")
    print(
        f"  jieba.lcut   {m_jieba:8.1f} µs  (reference; routing is {m_route / m_jieba:.1%} of it)"
    )
    print(f"  router build {build * 1000:8.0f} ms  (load and check the YAML, compile the scans)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
