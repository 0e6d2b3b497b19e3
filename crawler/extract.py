"""Article extraction from news and government pages: body text, title, time and author."""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml import etree
from parsel import Selector

from crawler.normalize import clean_text, html_to_text


@dataclass(frozen=True)
class Article:
    """What a page says about itself; empty text means no article body was found."""

    title: str = ""
    text: str = ""
    # "2025-03-18 10:23", as `parse_time` reads it; seconds only when the page shows them
    published_at: str | None = None
    author: str | None = None


def extract_article(
    html: str, url: str | None = None, *, body_selector: str | None = None
) -> Article:
    """The article on a page; `body_selector` (CSS, or XPath from ``/``/``(``) picks the body.

    List pages (forum thread lists, channel indexes) give an empty text: they have no body,
    and whatever an extractor picks from them is one teaser among many.
    """
    markup = _repair(html)
    tree = _parse(markup)
    if tree is None:
        return Article()
    doc = _trafilatura(markup, url)
    title = _title(tree) or _meta_value(doc, "title")
    if body_selector:
        text = select_text(markup, body_selector)
    else:
        text = (doc.text if doc is not None else "") or ""
        if _is_list_page(tree, len(text)):
            text = ""
        elif not text.strip():
            text = _largest_paragraph_block(tree)
    return Article(
        title=title,
        text=_without_title_lines(clean_text(text), title),
        published_at=find_published(tree) or _meta_value(doc, "date") or None,
        author=_author(tree) or _plausible_author(_meta_value(doc, "author")),
    )


def select_text(html: str, selector: str) -> str:
    """The text a configured selector picks: elements become their visible text."""
    page = Selector(text=html)
    found = page.xpath(selector) if selector.lstrip().startswith(("/", "(")) else page.css(selector)
    parts = [
        clean_text(node.root) if isinstance(node.root, str) else html_to_text(node.get())
        for node in found
    ]
    return "\n".join(part for part in parts if part)


# Old CMS templates include a whole page header, closing </html> included, before the article;
# parsers then leave the article outside <body>, where extractors never look.
_EARLY_CLOSE = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<\s*(?:html|head|body|div|p|table|article|section|span|a)\b", re.IGNORECASE)


def _repair(html: str) -> str:
    return _EARLY_CLOSE.sub("", html)


def _parse(markup: str) -> lxml.html.HtmlElement | None:
    # Garbage bytes decode to some text in some charset; without tags it is not a page.
    if not _TAG.search(markup[:20_000]):
        return None
    try:
        return lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return None


def _trafilatura(markup: str, url: str | None) -> trafilatura.settings.Document | None:
    try:
        found = trafilatura.bare_extraction(
            markup,
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,  # table layouts of old portals would bring their menus along
            with_metadata=True,
            # The extensive search loads dateparser's locales: seconds per page, and
            # `find_published` reads Chinese bylines better anyway.
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    except (ValueError, TypeError, etree.LxmlError):
        return None
    # A dict comes back only with as_dict=True, which is not asked for.
    return found if isinstance(found, trafilatura.settings.Document) else None


def _meta_value(doc: trafilatura.settings.Document | None, name: str) -> str:
    value = getattr(doc, name, None) if doc is not None else None
    return clean_text(value) if isinstance(value, str) else ""


def _visible_text(tree: lxml.html.HtmlElement) -> str:
    parts = tree.xpath(
        "//text()[not(ancestor::head or ancestor::script or ancestor::style or ancestor::noscript)]"
    )
    return " ".join(" ".join(parts).split())


# ---- time ----------------------------------------------------------------------------------

_TIME_METAS = {
    "article:published_time", "og:release_date", "pubdate", "publishdate", "publish_date",
    "publishtime", "publish-date", "firstpublishedtime", "datepublished", "dc.date.issued",
    "dcterms.issued", "dc.date", "release_date", "weibo:article:create_at",
}  # fmt: skip
_DATE = (
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[\sT-]*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{2})(?:\s*[:：分]\s*(?P<S>\d{2}))?"
    r"(?:\.\d{1,6})?\s*(?P<z>Z|[+-]\d{2}:?\d{2})?)?"
)
_ANY_DATE = re.compile(_DATE)
_LABELLED = re.compile(r"(?:发布|发表|发文|成文|更新)?(?:时间|日期)\s*[:：]?\s*" + _DATE)


def find_published(page: str | lxml.html.HtmlElement) -> str | None:
    """The publication time a page shows, as ``YYYY-MM-DD[ HH:MM[:SS]][zone]``, or None.

    Meta tags come first; a visible "发布时间：2025-03-18 10:23" adds the time of day when the
    meta tag gives only the date. Without either, the first date with a time of day in the
    text, which on article pages is the byline.
    """
    tree = _parse(_repair(page)) if isinstance(page, str) else page
    if tree is None:
        return None
    meta = _meta_time(tree)
    text = _visible_text(tree)
    labelled = _date_in(_LABELLED, text, need_time=False)
    timed = labelled if labelled and " " in labelled else _date_in(_ANY_DATE, text, need_time=True)
    if meta and " " not in meta:
        for visible in (labelled, timed):
            if visible and visible.startswith(meta) and " " in visible:
                return visible
    return meta or labelled or timed


def _meta_time(tree: lxml.html.HtmlElement) -> str | None:
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        if key in _TIME_METAS and (found := _date_in(_ANY_DATE, meta.get("content"), False)):
            return found
    for node in tree.xpath("//*[@itemprop='datePublished']"):
        value = node.get("content") or node.get("datetime") or node.text_content()
        if found := _date_in(_ANY_DATE, value, need_time=False):
            return found
    return None


def _date_in(pattern: re.Pattern[str], text: str, need_time: bool) -> str | None:
    for match in pattern.finditer(text):
        if (found := _normal_time(match)) and (" " in found or not need_time):
            return found
    return None


def _normal_time(match: re.Match[str]) -> str | None:
    """The match as ISO-like text, or None for impossible values (phone numbers, ids)."""
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if match["H"] is None:
        return date
    hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return date
    # Seconds only when the page shows them: the precision recorded is the page's own.
    seconds = f":{second:02d}" if match["S"] is not None else ""
    return f"{date} {hour:02d}:{minute:02d}{seconds}{match['z'] or ''}"


# ---- title and author ----------------------------------------------------------------------

_TITLE_METAS = ("articletitle", "og:title", "twitter:title", "headline")
# Site names follow the headline in <title>: "标题_栏目_网站", "标题 - 网站", "标题--频道--网站".
_TITLE_SPLIT = re.compile(r"_+|\s+[-|–—]\s+|--+|\||-(?=[^-]{2,12}$)")


def _title(tree: lxml.html.HtmlElement) -> str:
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("name") or meta.get("property") or "").lower()
        if key in _TITLE_METAS and (value := clean_text(meta.get("content"))):
            return value
    page_title = clean_text(" ".join(tree.xpath("//title//text()")))
    # A headline element whose text the <title> repeats is the headline, not a section name.
    headlines = [
        clean_text(node.text_content())
        for node in tree.xpath(
            "//h1|//h2|//h3|//*[contains(translate(@class, 'TITLE', 'title'), 'title')]"
        )
    ]
    matching = [h for h in headlines if 4 <= len(h) <= 200 and h in page_title]
    if matching:
        return max(matching, key=len)
    return clean_text(_TITLE_SPLIT.split(page_title)[0]) if page_title else ""


def _without_title_lines(text: str, title: str) -> str:
    if not title:
        return text
    return "\n".join(line for line in text.split("\n") if line != title)


def _author(tree: lxml.html.HtmlElement) -> str | None:
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("name") or meta.get("property") or "").lower()
        found = _plausible_author(meta.get("content"))
        if key in ("author", "article:author", "byline") and found:
            return found
    return None


def _plausible_author(value: str | None) -> str | None:
    # CMSs put editor ids ("104363") and profile URLs where a name belongs.
    name = clean_text(value or "")
    if not name or name.isdigit() or "://" in name or len(name) > 50:
        return None
    return name


# ---- list pages and the fallback body ------------------------------------------------------

_LIST_MIN_ITEMS = 20
_LIST_MIN_LINK_CHARS = 12  # thread and headline links are long; menu links are short


def _is_list_page(tree: lxml.html.HtmlElement, text_chars: int) -> bool:
    """Whether one run of sibling items, each a link to a thread or article, outweighs the text.

    Article pages have menus (short link text) and related-news boxes (a handful of items);
    a list page is mostly one long run of headline links.
    """
    for parent in tree.iter(etree.Element):
        groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
        for child in parent.iterchildren(etree.Element):
            links = child.xpath(".//a")
            if links:
                chars = sum(len(clean_text(a.text_content())) for a in links)
                groups[(child.tag, child.get("class"))].append(chars)
        for sizes in groups.values():
            total = sum(sizes)
            if (
                len(sizes) >= _LIST_MIN_ITEMS
                and total / len(sizes) >= _LIST_MIN_LINK_CHARS
                and total > text_chars
            ):
                return True
    return False


_BOILERPLATE = re.compile(
    r"nav|menu|foot|header|sidebar|comment|share|related|breadcrumb|copyright|recommend|login",
    re.IGNORECASE,
)
_MIN_BODY_CHARS = 30


def _largest_paragraph_block(tree: lxml.html.HtmlElement) -> str:
    """The container whose own <p> children hold the most non-link text, for pages the main
    extractor gives up on (table layouts of older government and local news sites)."""
    root = copy.deepcopy(tree)
    for node in root.xpath(
        "//script|//style|//noscript|//nav|//header|//footer|//aside|//form|//iframe"
    ):
        node.drop_tree()
    for node in root.xpath("//*[@class or @id]"):
        if _BOILERPLATE.search(f"{node.get('class', '')} {node.get('id', '')}"):
            node.drop_tree()
    best: list[str] = []
    best_chars = 0
    for parent in root.iter(etree.Element):
        paragraphs = [_paragraph_text(p) for p in parent.iterchildren("p")]
        paragraphs = [p for p in paragraphs if p]
        chars = sum(len(p) for p in paragraphs)
        if chars > best_chars:
            best, best_chars = paragraphs, chars
    return "\n".join(best) if best_chars >= _MIN_BODY_CHARS else ""


def _paragraph_text(paragraph: lxml.html.HtmlElement) -> str:
    text = clean_text(paragraph.text_content())
    link_chars = sum(len(clean_text(a.text_content())) for a in paragraph.xpath(".//a"))
    return text if text and link_chars < len(text) / 2 else ""
