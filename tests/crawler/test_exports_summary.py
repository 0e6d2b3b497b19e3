"""The eleven-sheet 12345 summary workbook the issue was found with (tests/fixtures/real/exports,
SOURCE.md): 1,464 complaints on its first sheet, 261 of them dated as month/day/year text
("12/31/2016") and the rest as date cells. Every row must land, by configuration alone."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import openpyxl

from core.timezone import SHANGHAI
from crawler.normalize import clean_text
from store.pii import mask_pii
from tests.crawler.harness import Bench

SUMMARY = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "real"
    / "exports"
    / "fz12345_summary_11_sheets.xlsx"
)


def block(sheets: object) -> dict[str, object]:
    return {
        "name": "fz-summary",
        "kind": "hotline",
        "format": "xlsx",
        "sheets": sheets,
        "columns": {
            "case_no": "id",
            "category": "性质",
            "channel": "信息 来源",
            "title": "标题",
            "published_at": "时间",
        },
    }


def first_sheet() -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(SUMMARY, read_only=True)
    try:
        rows = list(book["汇总"].iter_rows(values_only=True))
    finally:
        book.close()
    return [row for row in rows[1:] if any(cell is not None for cell in row)]


def test_every_row_of_the_summary_sheet_lands_whatever_its_date_form(bench: Bench) -> None:
    rows = first_sheet()
    forms = Counter(type(row[4]).__name__ for row in rows)
    assert forms == {"datetime": 1203, "str": 261}  # the file is what the issue describes
    bench.sources(block(["汇总"]))

    summary = bench.import_file(SUMMARY, "fz-summary")

    assert (summary.items_seen, summary.created, summary.quarantined) == (1464, 1464, 0)
    posts = bench.store.get_many([f"fz-summary:{row[0]}" for row in rows])
    assert len(posts) == 1464  # 0 rows lost, to date formats or anything else
    # Text dates are month first; date cells and text dates alike are known to the day.
    text_dated = posts["fz-summary:1464"]
    assert text_dated.published_at == datetime(2006, 12, 7, tzinfo=SHANGHAI)
    assert text_dated.title == "光明港公园的水又黑又臭!"
    assert (text_dated.category, text_dated.channel) == ("建议", "网站")
    cell_dated = posts["fz-summary:1"]
    assert cell_dated.published_at == datetime(2020, 9, 3, tzinfo=SHANGHAI)
    assert {post.published_precision for post in posts.values()} == {"day"}
    for number, category, channel, title, when in rows:
        post = posts[f"fz-summary:{number}"]
        # Titles as a reader sees them: the cells' stray line breaks folded away, and numbers
        # that read as phone numbers masked (Fuzhou's work-order numbers, FZ + 11 digits, do).
        assert (post.title, post.category, post.channel) == (
            mask_pii(clean_text(str(title))),
            category,
            channel,
        )
        if isinstance(when, str):
            month, day, year = (int(part) for part in when.split("/"))
            assert post.published_at.date().isoformat() == f"{year:04d}-{month:02d}-{day:02d}"


def test_sheets_all_reads_the_complaints_and_names_the_sheets_that_hold_none(
    bench: Bench,
) -> None:
    bench.sources(block("all"))
    summary = bench.import_file(SUMMARY, "fz-summary")
    assert summary.created == 1464
    # The other ten sheets are the analyst's tables (per district, regressions): none has the
    # mapped columns, and each is reported by name instead of failing the file.
    reasons = " ".join(record["reason"] for record in bench.quarantined("fz-summary"))
    for name in ("鼓楼区", "回归数据-刘佳慧", "汇总+历史数据0415"):
        assert name in reasons
    assert summary.quarantined == 10
