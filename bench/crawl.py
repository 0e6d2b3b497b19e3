"""Crawl-pipeline benchmark: items per second from raw item to stored post, without network.

For 10,000 board items (as the board spider yields them: HTML bodies, text times, replies)
and 10,000 hotline rows (a GBK CSV export, parsed here), it runs the real path of a crawl or
import (`crawler.runner.import_rows` with the product's analyzer and run recorder:
normalise, id, validate and mask, analyse, write to a fresh SQLite store, run recorded) and
prints items/s, next to each stage measured alone on the same items and, as the reference,
SnowNLP's own sentiment on the same texts.

    python bench/crawl.py [--items 10000]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from core.timezone import SHANGHAI  # noqa: E402

PLACES = ["临江区幸福路", "青山区化工园", "滨湖区翠湖湾", "高新区科创大道", "东林县城关镇"]
ISSUES = ["停水两天了", "夜里有刺鼻异味", "学区划片不合理", "施工噪音扰民", "道路积水严重",
          "物业乱收费", "公交班次太少", "医保报销难"]  # fmt: skip
ASKS = ["请尽快处理。", "希望有关部门给个说法。", "联系电话13912345678。", "已经反映多次无人回复。",
        "老人孩子生活很不方便。", "身份证号320102199001011234。"]  # fmt: skip
HEADERS = ["工单编号", "受理时间", "来源渠道", "所属区域", "诉求分类", "诉求标题", "诉求内容",
           "承办单位", "办理状态", "办结时限", "答复内容"]  # fmt: skip
COLUMNS = dict(zip(
    ["case_no", "published_at", "channel", "region", "category", "title", "text",
     "assigned_department", "status", "deadline", "reply"], HEADERS, strict=True))  # fmt: skip


def message(rng: random.Random) -> tuple[str, str]:
    place, issue = rng.choice(PLACES), rng.choice(ISSUES)
    return f"{place}{issue}", f"{place}{issue}，" + "".join(rng.sample(ASKS, 3))


def board_items(n: int) -> list[dict[str, Any]]:
    rng = random.Random(3)
    start = datetime(2025, 3, 1, tzinfo=SHANGHAI)
    items = []
    for i in range(n):
        title, text = message(rng)
        when = start + timedelta(minutes=7 * i)
        item: dict[str, Any] = {
            "native_id": str(i),
            "origin": f"http://127.0.0.1/board/thread/{i}.html",
            "url": f"http://127.0.0.1/board/thread/{i}.html",
            "kind": "board",
            "title": title,
            "text": f"<div class='msg-body'><p>{text}</p><p>谢谢！</p></div>",
            "author": f"网友{i % 97}",
            "published_at": f"{when:%Y-%m-%d %H:%M:%S}",
            "region": title[:3],
            "category": "城乡建设",
        }
        if i % 2:
            replied = when + timedelta(days=1)
            item["reply"] = {"text": "<p>您好，已转相关部门办理。</p>", "department": "市水务局",
                             "replied_at": f"{replied:%Y-%m-%d %H:%M}"}  # fmt: skip
        items.append(item)
    return items


def hotline_csv(n: int) -> bytes:
    rng = random.Random(5)
    start = datetime(2025, 3, 1, tzinfo=SHANGHAI)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for i in range(n):
        title, text = message(rng)
        when = start + timedelta(minutes=5 * i)
        writer.writerow([f"JL{20250301 + i // 1000}{i:06d}", f"{when:%Y-%m-%d %H:%M:%S}",
                         rng.choice(["电话", "网站", "微信", "APP"]), title[:3], "城乡建设", title,
                         text, "市水务局", "已办结", f"{when + timedelta(days=5):%Y-%m-%d}",
                         "已联系来电人并处理。"])  # fmt: skip
    return out.getvalue().encode("gbk")


def settings_for(root: Path) -> Any:
    from core.settings import load_settings

    sources = {
        "sources": [
            {"name": "bench-board", "kind": "board", "start_url": "http://127.0.0.1/",
             "selectors": {"item": "li", "detail_link": "a::attr(href)", "title": "h1",
                           "body": "div", "published_at": "span"}},
            {"name": "bench-hotline", "kind": "hotline", "format": "csv", "encoding": "gbk",
             "columns": COLUMNS},
        ]
    }  # fmt: skip
    (root / "sources.yaml").write_text(yaml.safe_dump(sources, allow_unicode=True), "utf-8")
    return load_settings(
        data_dir=root,
        store={"backend": "sqlite", "sqlite_path": root / "posts.db"},
        database={"url": f"sqlite:///{root}/tracker.db"},
        crawler={"sources_file": root / "sources.yaml", "spool_dir": root / "spool",
                 "quarantine_dir": root / "quarantine", "batch_size": 500},
    )  # fmt: skip


def rows_of(items: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], None]]:
    for item in items:
        yield item["origin"], dict(item), None


def stages(name: str, raw: list[dict[str, Any]], files: Any) -> dict[str, float]:
    """Each stage alone on the same items, in items per second; the analysis reads `files`
    (the pipeline's analysis files) with a fresh near-duplicate index."""
    from analysis.enrich import PostAnalyzer
    from crawler.pipeline import prepare
    from store.sqlite import SqlitePostStore

    started = time.perf_counter()
    posts = [prepare(item, name) for item in raw]
    prepare_rate = len(raw) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        analyzer = PostAnalyzer(replace(files, neardup_db=Path(tmp) / "neardup.db"))
        # The routing rules are built once per process, as in the pipeline: not timed here.
        analyzer.router  # noqa: B018
        started = time.perf_counter()
        analyzer.enrich(posts)
        analysis_rate = len(posts) / (time.perf_counter() - started)
        analyzer.index.close()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlitePostStore(Path(tmp) / "p.db")
        started = time.perf_counter()
        for i in range(0, len(posts), 500):
            store.upsert(posts[i : i + 500])
        store_rate = len(posts) / (time.perf_counter() - started)
        store.close()
    return {"prepare": prepare_rate, "analysis": analysis_rate, "store": store_rate}


def snownlp_rate(texts: list[str]) -> float:
    from snownlp import SnowNLP

    started = time.perf_counter()
    for text in texts:
        SnowNLP(text).sentiments  # noqa: B018
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    from crawler.runner import import_rows, pick_sources
    from crawler.tabular import read_bytes
    from yuqing import wiring

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--reference-texts", type=int, default=500)
    args = parser.parse_args()

    board = board_items(args.items)
    export = hotline_csv(args.items)
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp))
        (hotline,) = pick_sources(settings, ["bench-hotline"])
        parsed = list(read_bytes(export, hotline, name="export.csv"))
        texts = [f"{r['title']}。{r['text']}" for _, r, _ in parsed[: args.reference_texts] if r]
        reference = snownlp_rate(texts)
        recorder = wiring.recorder(settings)
        analyzer = wiring.analyzer(settings)
        for name, rows in (("bench-board", list(rows_of(board))), ("bench-hotline", None)):
            started = time.perf_counter()
            if rows is None:
                rows = read_bytes(export, hotline, name="export.csv")
            summary = import_rows(settings, name, iter(rows), recorder=recorder, analyzer=analyzer)
            rate = summary.items_seen / (time.perf_counter() - started)
            raw = board if name == "bench-board" else [r for _, r, _ in parsed if r]
            parts = stages(name, raw, analyzer.files)
            print(
                f"{name:<13} items={summary.items_seen} new={summary.created} failed="
                f"{summary.failed + summary.quarantined}  whole pipeline {rate:,.0f} items/s"
                f"  (alone: prepare {parts['prepare']:,.0f}/s, analysis {parts['analysis']:,.0f}/s,"
                f" store {parts['store']:,.0f}/s)  reference: SnowNLP sentiment alone"
                f" {reference:,.0f} texts/s",
                flush=True,
            )
        analyzer.index.close()


if __name__ == "__main__":
    main()
