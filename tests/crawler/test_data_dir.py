"""One setting moves every data path: `yuqing crawl` and `yuqing import` with YUQING_DATA_DIR and
nothing else about where data goes write nothing in the project's own `var/`; and reruns over
the same bad items do not grow the quarantine."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.settings import PROJECT_ROOT
from tests.crawler import site_hotline
from tests.crawler.blocks import board, hotline, news
from tests.crawler.product import Product

# Installed engines live here, put there by the scripts, not by the product.
_NOT_DATA = ("test-engines",)


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` with its size and modification time."""
    found = {}
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if d not in _NOT_DATA]
        for name in names:
            path = Path(directory) / name
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def test_yuqing_data_dir_alone_moves_every_data_path(product: Product, tmp_path: Path) -> None:
    data = tmp_path / "elsewhere"
    url = product.url
    product.sources(
        board(url),
        news(url, "city-rss", "/news/rss.xml?run=data-dir", region="临江区"),
        hotline(),
    )
    export = tmp_path / "export.csv"
    export.write_bytes(site_hotline.csv_export("gbk")[0])
    # Only the data directory and the (configuration) sources file: no store, database, spool
    # or quarantine path of its own.
    env = {k: v for k, v in product.env.items() if not k.startswith("YUQING_")}
    env.update(
        YUQING_DATA_DIR=str(data),
        YUQING_CRAWLER__SOURCES_FILE=str(product.sources_file),
        YUQING_LOG_LEVEL="WARNING",
    )
    product.env = env
    var = PROJECT_ROOT / "var"
    before = _files(var)

    crawled = product.yuqing("crawl", "board", "city-rss")
    assert crawled.returncode == 1, crawled.stderr  # one broken board message
    imported = product.yuqing("import", str(export), "--source", "hotline")
    assert imported.returncode == 0, imported.stderr

    assert _files(var) == before
    written = _files(data)
    for expected in ("posts.db", "tracker.db", "secret_key"):
        assert expected in written, sorted(written)
    assert "quarantine/board.jsonl" in written and "quarantine/hotline.jsonl" in written
    assert f"reasons in {data / 'quarantine' / 'board.jsonl'}" in crawled.stderr


def test_a_rerun_over_the_same_bad_rows_does_not_grow_the_quarantine(product: Product) -> None:
    product.sources(hotline())
    data, expected = site_hotline.csv_export("gbk")
    export = product.root / "export.csv"
    export.write_bytes(data)
    quarantine = product.root / "quarantine" / "hotline.jsonl"

    for _ in range(3):
        result = product.invoke("import", str(export), "--source", "hotline")
        assert result.exit_code == 0, result.output
        # Each run still says what it rejected.
        assert f"{len(expected)} rejected rows, reasons in {quarantine}" in result.stderr

    records = [json.loads(line) for line in quarantine.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(expected)
    assert {r["origin"] for r in records} == {f"export.csv:{line}" for line in expected}
