"""Article extraction on real saved pages from ``../shared/data/html_pages`` (evaluation only).

The pages carry no licence, so none of their text is copied here: each case names the
element that holds the article (an observation of the markup), and the test reads that
element's text at run time and checks the extractor found it, and nothing much besides.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import lxml.html
import pytest

from crawler.extract import Article, extract_article
from crawler.normalize import clean_text, decode_body, html_to_text

PAGES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "html_pages"
if not PAGES.is_dir():
    pytest.skip(
        f"real pages for extraction tests not found at {PAGES} (evaluation data, not shipped)",
        allow_module_level=True,
    )

# page -> (XPath of the element holding the article body, publication time shown on the page)
ARTICLES = {
    "tests__cmse__1.html": ("//div[@id='content']", "2012-06-24"),
    "tests__gzggw__1.html": ("//div[@id='zoom']", "2016-11-22 09:53:00"),
    "tests__other__1.html": ("//div[@id='UCAP-CONTENT']", "2007-08-20 23:59:59"),
    "tests__people__1.html": ("//div[@id='rwb_zw']", "2019-06-15 08:18:00"),
    "tests__shanxi__1.html": ("//div[@class='TRS_Editor']", "2019-09-18 06:23:00"),
    "tests__sxmu__1.html": ("//div[@id='vsb_content']", "2018-05-17"),
    "tests__thepaper__1.html": ("//div[@class='news_txt']", "2019-09-24 09:10:00"),
    "tests__xinhuanet__1.html": ("//div[@id='p-detail']", "2019-12-10 07:57:40"),
    "tests__zsnews__1.html": ("//td[p]", "2019-03-06"),
}
LIST_PAGES = ["test_list_page__netease_forum__1.html", "test_list_page__tieba__1.html"]
BOILERPLATE = ("版权所有", "网站地图", "首页", "ICP备", "上一篇", "下一篇", "打印本页", "关闭窗口")
_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([\w-]+)", re.IGNORECASE)


@cache
def page(name: str) -> str:
    raw = (PAGES / name).read_bytes()
    declared = _CHARSET.search(raw[:4000])
    return decode_body(raw, declared.group(1).decode() if declared else None)


@cache
def extracted(name: str) -> Article:
    return extract_article(page(name), f"https://example.gov.cn/{name}")


def body_lines(name: str, xpath: str) -> list[str]:
    """The article's own sentences, read from the element that holds it."""
    (element,) = lxml.html.document_fromstring(page(name)).xpath(xpath)[:1]
    text = html_to_text(lxml.html.tostring(element, encoding="unicode"))
    return [line for line in text.split("\n") if len(line) >= 15]


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_the_article_body_is_found_without_the_page_around_it(name: str) -> None:
    xpath, _ = ARTICLES[name]
    article = extracted(name)
    lines = body_lines(name, xpath)
    assert lines, "the fixture's article element is empty"
    text = clean_text(article.text)
    missing = [line for line in lines if line not in text]
    assert len(missing) <= len(lines) // 10, f"body sentences missing: {missing[:3]}"
    # Precision: hardly more than the article itself, and none of the page furniture.
    assert len(text) <= 1.2 * sum(len(line) + 1 for line in lines) + 200
    assert [word for word in BOILERPLATE if word in text] == []


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_title_and_time_come_from_the_page(name: str) -> None:
    _, published = ARTICLES[name]
    article = extracted(name)
    page_title = clean_text(
        " ".join(lxml.html.document_fromstring(page(name)).xpath("//title//text()"))
    )
    assert len(article.title) >= 6
    # The headline, without the site and channel names that <title> appends.
    assert article.title.replace(" ", "") in page_title.replace(" ", "")
    assert not re.search(r"_|--| - |网$|政府网站$", article.title)
    assert article.published_at == published


def test_a_page_declaring_gb2312_but_stored_as_utf8_reads_as_chinese() -> None:
    raw = (PAGES / "tests__people__1.html").read_bytes()
    assert _CHARSET.search(raw[:4000]).group(1).lower() == b"gb2312"
    assert raw.decode("gb18030", errors="replace") != raw.decode("utf-8")  # the label is wrong
    assert decode_body(raw, "gb2312") == raw.decode("utf-8")
    text = extracted("tests__people__1.html").text
    chinese = sum("\u4e00" <= char <= "\u9fff" for char in text)
    assert "\ufffd" not in text and chinese / len(text) > 0.7


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_forum_list_page_has_no_article_body(name: str) -> None:
    assert extracted(name).text == ""
