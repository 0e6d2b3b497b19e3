"""The news feeds: 江澜日报 as RSS 2.0 and 江澜融媒 as Atom 1.0."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime

from yuqing.demo.site.models import NewsArticle

ATOM_NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM_NS)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def article_url(base_url: str, article: NewsArticle) -> str:
    return f"{base_url}/news/article/{article.id}.html"


def rss_feed(items: Sequence[NewsArticle], base_url: str, now: datetime) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", "江澜日报")
    _text(channel, "link", f"{base_url}/news/rss.xml")
    _text(channel, "description", "江澜日报新闻频道：要闻、民生、区县、评论")
    _text(channel, "language", "zh-cn")
    _text(channel, "copyright", f"Copyright {now.year} 江澜日报社")
    _text(channel, "lastBuildDate", format_datetime(now))
    _text(channel, "ttl", "15")
    for article in items:
        item = ET.SubElement(channel, "item")
        _text(item, "title", article.title)
        _text(item, "link", article_url(base_url, article))
        _text(item, "description", article.summary)
        _text(item, "category", article.channel)
        _text(item, "pubDate", format_datetime(article.published))
        _text(item, "guid", str(article.id), isPermaLink="false")
    return bytes(ET.tostring(rss, encoding="utf-8", xml_declaration=True))


def atom_feed(entries: Sequence[NewsArticle], base_url: str, now: datetime) -> bytes:
    def atom(tag: str) -> str:
        return f"{{{ATOM_NS}}}{tag}"

    feed = ET.Element(atom("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    _text(feed, atom("id"), "urn:jianglan:media:feed")
    _text(feed, atom("title"), "江澜融媒")
    _text(feed, atom("subtitle"), "江澜市融媒体中心 区县新闻")
    updated = entries[0].published if entries else now
    _text(feed, atom("updated"), updated.isoformat())
    ET.SubElement(feed, atom("link"), rel="self", href=f"{base_url}/news/district.atom")
    author = ET.SubElement(feed, atom("author"))
    _text(author, atom("name"), "江澜市融媒体中心")
    for article in entries:
        entry = ET.SubElement(feed, atom("entry"))
        _text(entry, atom("id"), f"urn:jianglan:media:article:{article.id}")
        _text(entry, atom("title"), article.title)
        href = article_url(base_url, article)
        ET.SubElement(entry, atom("link"), rel="alternate", type="text/html", href=href)
        _text(entry, atom("updated"), article.published.isoformat())
        _text(entry, atom("published"), article.published.isoformat())
        _text(entry, atom("summary"), article.summary)
        ET.SubElement(entry, atom("category"), term=article.channel)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
