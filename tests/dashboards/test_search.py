"""Search (检索): highlighted hits, filters, the result count, the result set's volume chart and
the XLSX export, checked against the post store's own answers."""

from __future__ import annotations

import io
import math
from typing import Any
from urllib.parse import urlencode

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from store.models import PostFilter, PostKind
from tests.dashboards.browser import screenshot, sign_in
from tests.dashboards.world import Site


def test_search_highlights_filters_counts_and_charts(site: Site, new_page: Any) -> None:
    store = site.product.store
    page: Page = new_page()
    sign_in(page, site, "leader")
    page.click("nav a[href='/search']")
    page.fill("input[name=q]", "停水")
    with page.expect_navigation():
        page.click("#search-form button[type=submit]")
    everything = store.search("停水", limit=100)
    assert everything.total > 10
    expect(page.locator("#result-count strong")).to_have_text(str(everything.total))
    hits = page.locator("#hits .hit")
    expect(hits).to_have_count(min(20, everything.total))
    marks = page.locator("#hits .hit mark").all_inner_texts()
    assert marks and set(marks) == {"停水"}
    expect(page.locator("#volume-chart[data-drawn='1'] canvas")).to_have_count(1)
    screenshot(page, "search")

    # A filter narrows the same query: hotline work orders only.
    page.select_option("select[name=kind]", "hotline")
    with page.expect_navigation():
        page.click("#search-form button[type=submit]")
    hotline = store.search("停水", filters=PostFilter(kinds=[PostKind.HOTLINE]), limit=100)
    assert 0 < hotline.total < everything.total
    expect(page.locator("#result-count strong")).to_have_text(str(hotline.total))
    expect(page.locator("#hits .hit .badge").first).to_have_text("12345热线")
    kinds = page.locator("#hits .hit .meta .badge:first-child").all_inner_texts()
    assert set(kinds) == {"12345热线"}

    # A phrase that matches nothing says so.
    page.fill("input[name=q]", '"望潮苑停电"')
    page.select_option("select[name=kind]", "")
    with page.expect_navigation():
        page.click("#search-form button[type=submit]")
    expect(page.locator("#result-count strong")).to_have_text("0")
    expect(page.locator("#hits")).to_contain_text("没有符合条件的帖文")


def test_search_results_export_to_xlsx(site: Site, new_page: Any) -> None:
    store = site.product.store
    page: Page = new_page()
    sign_in(page, site, "analyst")
    page.goto(site.base + "/search?q=%E5%81%9C%E6%B0%B4&sentiment=negative")
    negative = PostFilter(sentiment_max=math.nextafter(0.4, 0.0))
    expected = store.search("停水", filters=negative, limit=500)
    expect(page.locator("#result-count strong")).to_have_text(str(expected.total))
    with page.expect_download() as download:
        page.click("#export")
    body = download.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("发布时间", "来源", "类型", "标题", "内容")
    assert len(rows) - 1 == expected.total
    exported = {row[-1] for row in rows[1:]}
    assert exported == {hit.post.id for hit in expected.hits}
    assert {row[8] for row in rows[1:]} == {"负面"}


def test_a_query_nested_too_deep_is_a_400_page_in_chinese(site: Site, new_page: Any) -> None:
    # 330 parentheses were a RecursionError, 50 NOTs SQLite's "parser stack overflow": both
    # showed the API's JSON instead of the page.
    page: Page = new_page()
    sign_in(page, site, "analyst")
    for query in ("(" * 330 + "停水" + ")" * 330, "NOT " * 50 + "停水"):
        reply = page.goto(site.base + "/search?" + urlencode({"q": query}))
        assert reply is not None and reply.status == 400
        assert reply.headers["content-type"].startswith("text/html")
        expect(page.locator(".card.error[role=alert]")).to_have_text(
            "检索式嵌套过深：括号与 NOT（或“-”）最多嵌套 8 层，请简化检索式。"
        )
        expect(page.locator("input[name=q]")).to_have_value(query)  # to be corrected
        expect(page.locator("#hits")).to_have_count(0)
