"""Article extraction on real saved pages (../shared/data/html_pages): for each page, how much
of the article body the extractor found, how much page furniture came along, and whether the
title and publication time are the page's own; forum list pages must give no body.

The pages are evaluation data that is not shipped with the project, so this is an evaluation
script, not a unit test: it prints one line per page and exits 1 if any page falls short.

    python bench/extract_eval.py [--pages ../shared/data/html_pages]
"""

from __future__ import annotations

import argparse
import re
import sys
from functools import cache
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extract import Article, extract_article  # noqa: E402
from crawler.normalize import clean_text, decode_body, html_to_text  # noqa: E402

DEFAULT_PAGES = ROOT.parent / "shared" / "data" / "html_pages"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    args = parser.parse_args()
    pages: Path = args.pages
    if not pages.is_dir():
        print(f"no saved pages at {pages}; this evaluation needs ../shared/data", file=sys.stderr)
        return 2

    @cache
    def page(name: str) -> str:
        raw = (pages / name).read_bytes()
        declared = _CHARSET.search(raw[:4000])
        return decode_body(raw, declared.group(1).decode() if declared else None)

    @cache
    def extracted(name: str) -> Article:
        return extract_article(page(name), f"https://example.gov.cn/{name}")

    failures = 0
    print(f"{'page':<36} {'body found':>10} {'size/body':>9}  boilerplate  title  time")
    for name in sorted(ARTICLES):
        xpath, published = ARTICLES[name]
        article = extracted(name)
        (element,) = lxml.html.document_fromstring(page(name)).xpath(xpath)[:1]
        own = html_to_text(lxml.html.tostring(element, encoding="unicode"))
        lines = [line for line in own.split("\n") if len(line) >= 15]
        text = clean_text(article.text)
        found = sum(line in text for line in lines) / len(lines) if lines else 0.0
        ratio = len(text) / (sum(len(line) + 1 for line in lines) + 200 / 1.2)
        furniture = [word for word in BOILERPLATE if word in text]
        page_title = clean_text(
            " ".join(lxml.html.document_fromstring(page(name)).xpath("//title//text()"))
        )
        title_ok = (
            len(article.title) >= 6
            and article.title.replace(" ", "") in page_title.replace(" ", "")
            and not re.search(r"_|--| - |网$|政府网站$", article.title)
        )
        time_ok = article.published_at == published
        ok = found >= 0.9 and ratio <= 1.2 and not furniture and title_ok and time_ok
        failures += not ok
        print(
            f"{name:<36} {found:>10.0%} {ratio:>9.2f}  {','.join(furniture) or '-':<11}"
            f"  {'ok' if title_ok else 'WRONG':<5}  {'ok' if time_ok else article.published_at}"
        )
    for name in LIST_PAGES:
        body = extracted(name).text
        failures += bool(body)
        print(f"{name:<36} list page: {'no body (right)' if not body else 'A BODY (wrong)'}")
    total = len(ARTICLES) + len(LIST_PAGES)
    print(f"{total - failures} of {total} pages extracted as they should be")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
