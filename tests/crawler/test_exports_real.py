"""The real Fuzhou 12345 workbook (tests/fixtures/real/exports/SOURCE.md) by configuration alone:
imported with `yuqing import` as board messages and as hotline orders, fetched by the export
spider on Scrapy's engine, and split into eleven sheets read with `sheets: all`. Every row of
the workbook must land: its dates are month/day/year text (12/16/2016)."""

from __future__ import annotations

import hashlib
import hmac
import io
from datetime import datetime
from typing import Any

import openpyxl
import pytest
import yaml

from core.errors import ExportError
from core.timezone import SHANGHAI
from crawler.tabular import read_bytes
from store.models import Post
from tests.crawler.blocks import source
from tests.crawler.harness import Bench
from tests.crawler.product import Product
from tests.crawler.server import FixtureServer
from tests.crawler.site_hotline import REAL_WORKBOOK

KEY = "a-test-secret-key-for-pseudonyms-5f0c2e91b7"

# The blocks as a user writes them for this workbook; `{url}` is where the test serves it.
BOARD_YAML = """
sources:
  - name: fz12345
    kind: board
    title: 福州12345 公开诉求
    # The workbook writes its dates month first, without a time: 12/16/2016.
    time_formats: ["%m/%d/%Y"]
    export:
      format: xlsx
      columns:
        id: id
        title: 标题
        text: 诉求件内容
        published_at: 时间
        region: 区域
        category: 性质
        channel: 信息来源
        author: 匿名or实名
        reply: 回复1
"""
HOTLINE_YAML = """
sources:
  - name: fz12345-hotline
    kind: hotline
    time_formats: ["%m/%d/%Y"]
    columns:
      case_no: id
      title: 标题
      text: 诉求件内容
      published_at: 时间
      region: 区域
      category: 性质
      channel: 信息来源
      author: 匿名or实名
      reply: 回复1
"""


def real_rows() -> list[dict[str, Any]]:
    """The workbook's rows, read here with openpyxl alone: what must arrive."""
    book = openpyxl.load_workbook(REAL_WORKBOOK, read_only=True)
    header, *rows = book["Sheet1"].iter_rows(values_only=True)
    kept = [dict(zip(header, row, strict=True)) for row in rows if any(row)]
    book.close()
    return kept


def pseudonym(key: str, source_name: str, author: str) -> str:
    digest = hmac.new(key.encode(), f"{source_name}\0{author}".encode(), hashlib.sha256)
    return "用户" + digest.hexdigest()[:10]


def assert_every_row(posts: dict[str, Post], name: str, kind: str, key: str | None) -> None:
    """Each row of the workbook is a post with its fields; no row is missing."""
    rows = real_rows()
    assert len(rows) == 56
    assert set(posts) == {f"{name}:{row['id']}" for row in rows}
    for row in rows:
        post = posts[f"{name}:{row['id']}"]
        assert post.kind == kind
        assert (post.region, post.category, post.channel) == (
            row["区域"],
            row["性质"],
            row["信息来源"],
        )
        month, day, year = map(int, row["时间"].split("/"))
        assert post.published_at == datetime(year, month, day, tzinfo=SHANGHAI), row["id"]
        assert post.published_precision == "day"
        assert (post.reply is None) == (row["回复1"] == "无"), row["id"]
        expected = None if key is None else pseudonym(key, name, row["匿名or实名"])
        assert post.author == expected  # the name itself is not stored as the author


def assert_row_4(post: Post) -> None:
    assert (post.title, post.region, post.category) == ("养猪、贩猪影响环境", "闽侯县", "举报")
    assert post.text.startswith("尊敬的各位领导：")
    assert post.published_at == datetime(2016, 12, 16, tzinfo=SHANGHAI)
    assert post.reply is not None
    # (The store masks the work order's eleven digits as it masks a mobile number.)
    assert post.reply.text.startswith("接到贵局批转件（编号FZ")
    assert "），群众投诉闽侯县青口镇青口村村民违规养猪" in post.reply.text
    # The workbook has no reply time or department column.
    assert (post.reply.department, post.reply.replied_at) == (None, None)


def test_yuqing_import_lands_every_row_of_the_real_workbook_as_board_posts(
    product: Product,
) -> None:
    product.sources_file.write_text(BOARD_YAML, encoding="utf-8")
    done = product.yuqing(
        "import", str(REAL_WORKBOOK), "--source", "fz12345", YUQING_SECRET_KEY=KEY
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("fz12345: 56 items, 56 new, 0 updated, 0 unchanged, 0 failed")
    store = product.store()
    assert store.count() == len(real_rows())  # 0 rows lost to date formats, or to anything
    posts = store.get_many([f"fz12345:{row['id']}" for row in real_rows()])
    assert_every_row(posts, "fz12345", "board", KEY)
    assert_row_4(posts["fz12345:4"])
    # 陈先生 wrote six of the posts: one pseudonym, six posts, and 19 complainants in all.
    chen = pseudonym(KEY, "fz12345", "陈先生")
    assert sorted(p.id for p in posts.values() if p.author == chen) == [
        f"fz12345:{n}" for n in sorted((45, 132, 167, 171, 174, 272), key=str)
    ]
    names = {row["匿名or实名"] for row in real_rows()}
    assert len({p.author for p in posts.values()}) == len(names)


def test_yuqing_import_lands_the_real_workbook_as_hotline_orders_without_callers(
    product: Product,
) -> None:
    product.sources_file.write_text(HOTLINE_YAML, encoding="utf-8")
    # The command in this process (the board test above runs it as a process of its own).
    product.env["YUQING_SECRET_KEY"] = KEY
    done = product.invoke("import", str(REAL_WORKBOOK), "--source", "fz12345-hotline")
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("fz12345-hotline: 56 items, 56 new, 0 updated, 0 unchanged")
    posts = product.store().get_many([f"fz12345-hotline:{row['id']}" for row in real_rows()])
    assert_every_row(posts, "fz12345-hotline", "hotline", None)
    one = posts["fz12345-hotline:4"]
    assert one.case_no == "4" and one.reply is not None and one.reply.department is None
    # 01/05/2010 is the fifth of January: month first, as the workbook writes it.
    assert posts["fz12345-hotline:271"].published_at.date().isoformat() == "2010-01-05"


def test_yuqing_import_refuses_a_source_without_an_export_mapping(product: Product) -> None:
    text = BOARD_YAML + "  - {name: weibo, kind: microblog, api_url: 'http://127.0.0.1:9/api',"
    text += " items_path: data, pagination: {type: page, param: page},"
    text += " fields: {id: id, text: text, published_at: created_at}}\n"
    product.sources_file.write_text(text, encoding="utf-8")
    refused = product.yuqing("import", str(REAL_WORKBOOK), "--source", "weibo")
    assert refused.returncode == 2
    assert "source weibo is a microblog source read from its feed or API: it has no export" in (
        refused.stderr
    )
    assert product.store().count() == 0


def test_the_export_spider_fetches_the_real_workbook_as_board_posts(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    (block,) = yaml.safe_load(BOARD_YAML)["sources"]
    block["export"]["url"] = f"{fixture_server.url}/exports/fz12345.xlsx"
    summary = bench.crawl(block)["fz12345"]
    assert summary.line().startswith("fz12345: 56 items, 56 new, 0 updated, 0 unchanged, 0 failed")
    posts = bench.store.get_many([f"fz12345:{row['id']}" for row in real_rows()])
    assert_every_row(posts, "fz12345", "board", bench.settings.secret_key.get_secret_value())
    assert_row_4(posts["fz12345:4"])


def eleven_sheets(notes: bool = False) -> bytes:
    """The real rows split into one sheet per year (2006 to 2016), each with its own header
    row, as a city's yearly export might hold them; built here because the real workbook has
    one sheet of data. Odd years hold their dates as date cells, the others as the text the
    real workbook has; an empty sheet follows, as in the real workbook."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    rows = real_rows()
    header = list(rows[0])
    for year in range(2006, 2017):
        sheet = book.create_sheet(str(year))
        sheet.append(header)
        for row in (r for r in rows if r["时间"].endswith(str(year))):
            cells = dict(row)
            if year % 2:
                cells["时间"] = datetime.strptime(row["时间"], "%m/%d/%Y")
            sheet.append([cells[h] for h in header])
    book.create_sheet("Sheet12")
    if notes:
        book.create_sheet("说明").append(["本表由12345平台导出，仅供内部参考"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_sheets_all_reads_every_sheet_of_an_eleven_sheet_workbook(bench: Bench) -> None:
    (block,) = yaml.safe_load(BOARD_YAML)["sources"]
    block["export"]["sheets"] = "all"
    bench.sources(block)
    path = bench.root / "yearly.xlsx"
    path.write_bytes(eleven_sheets())
    summary = bench.import_file(path, "fz12345")
    assert summary.line().startswith("fz12345: 56 items, 56 new, 0 updated, 0 unchanged, 0 failed")
    assert bench.store.count() == len(real_rows())
    posts = bench.store.get_many([f"fz12345:{row['id']}" for row in real_rows()])
    # Date cells and date text alike are days.
    assert_every_row(posts, "fz12345", "board", bench.settings.secret_key.get_secret_value())
    # The real workbook itself: its two empty sheets cost nothing.
    again = bench.import_file(REAL_WORKBOOK, "fz12345")
    assert again.line().startswith("fz12345: 56 items, 0 new, 0 updated, 56 unchanged, 0 failed")


def test_sheets_by_name_origins_name_the_sheet_and_a_missing_sheet_is_named() -> None:
    (block,) = yaml.safe_load(BOARD_YAML)["sources"]
    del block["export"]["columns"]["author"]  # read here without the product's key

    def read(sheets: Any, data: bytes) -> list[tuple[str, Any, Any]]:
        config = source({**block, "export": {**block["export"], "sheets": sheets}})
        return list(read_bytes(data, config, name="yearly.xlsx"))

    data = eleven_sheets(notes=True)
    rows = read(["2016", "2013"], data)
    assert [o for o, raw, _ in rows][:2] == ["yearly.xlsx:2016:2", "yearly.xlsx:2016:3"]
    assert len(rows) == 19 and all(raw is not None for _, raw, _ in rows)
    assert rows[-1][0] == "yearly.xlsx:2013:10"
    # A sheet without the mapped columns costs itself, named, and the others are read.
    everything = read("all", data)
    bad = [(o, why) for o, raw, why in everything if raw is None]
    assert len(everything) == 57 and len(bad) == 1
    assert bad[0][0] == "yearly.xlsx:说明"
    assert "no header row with the columns the source maps" in bad[0][1]
    with pytest.raises(ExportError) as caught:
        read(["2016", "2017"], data)
    assert str(caught.value) == (
        "yearly.xlsx has no sheet '2017'; its sheets: 2006, 2007, 2008, 2009, 2010, 2011, 2012,"
        " 2013, 2014, 2015, 2016, Sheet12, 说明"
    )
