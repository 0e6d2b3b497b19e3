"""One entry of a JSON list as a raw post: the source's field paths, its times read with their
precision, its URL from a template, and Weibo's text markup (emoticons, link cards, "全文")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from string import Formatter
from typing import Any
from urllib.parse import quote, urljoin

import lxml.html
from lxml import etree

from core.errors import ItemRejected, TimeFormatError
from crawler.normalize import Precision, TimeReading, read_time
from crawler.pipeline import stable_id
from crawler.source_options import JsonListing, Mapped, where
from crawler.sources import AnySource

# A path in `fields` starting with this is read from the list entry (the card), not the item.
CARD = "../"
_PLAIN = ("case_no", "title", "author", "category", "channel", "assigned_department", "status")
_COUNT = re.compile(r"^\s*([\d.]+)\s*(万|亿|w|W|k|K)?\+?\s*$")
_SCALE = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1000, "K": 1000}
# The list cuts a long post short with "...全文" (a link to the post, or the bare word).
_CUT = re.compile(
    r"(?:\.{3}|…)\s*(?:<a\b[^>]*>)?\s*全文\s*(?:</a>)?\s*$|<a\b[^>]*>\s*全文\s*</a>\s*$"
)
_MORE_LINK = re.compile(r"(?:<a\b[^>]*>)?\s*全文\s*(?:</a>)?\s*$")
_SPAN = {"day": timedelta(days=1), "minute": timedelta(minutes=1), "second": timedelta(0)}


@dataclass
class ItemMapper:
    """Maps a source's JSON items to raw posts (the pipeline does the rest)."""

    source: AnySource
    listing: JsonListing
    now: datetime

    def value(self, name: str, item: dict[str, Any], card: Any = None) -> Any:
        """The value a field's path points at, in the item or (``../``) in its list entry."""
        spec = self.listing.fields.get(name)
        if spec is None:
            return None
        path = where(spec)
        if path.startswith(CARD):
            return dig(card, path[len(CARD) :])
        return dig(item, path)

    def post(self, item: dict[str, Any], card: Any, origin: str) -> dict[str, Any]:
        """The raw post of one item; `ItemRejected` when a time cannot be read."""
        values = {name: self.value(name, item, card) for name in self.listing.fields}
        raw: dict[str, Any] = {
            "native_id": text_or_none(values.get("id")) or text_or_none(values.get("case_no")),
            "origin": origin,
            "kind": self.source.kind,
            "text": weibo_markup(str(values.get("text") or "")),
            "region": region(values.get("region")) or self.source.region,
        }
        for name in _PLAIN:
            if name in values:
                raw[name] = text_or_none(values[name])
        raw["title"] = raw.get("title") or ""
        raw["url"] = text_or_none(values.get("url")) or fill(self.listing.url_template, values)
        if raw["url"]:
            raw["url"] = urljoin(self.listing.api_url, raw["url"])
        if values.get("author_verified") is not None:
            raw["author_verified"] = bool(values["author_verified"])
        published = self.time("published_at", values.get("published_at"))
        if published is None:
            path = where(self.listing.fields["published_at"])
            raise ItemRejected(f"published_at: nothing at {path!r}")
        raw["published_at"], raw["published_precision"] = published
        deadline = self.time("deadline", values.get("deadline"))
        if deadline is not None:
            raw["deadline"] = deadline[0]
        if any(name in values for name in ("reposts", "comments", "likes")):
            raw["engagement"] = {
                name: count(values.get(name)) for name in ("reposts", "comments", "likes")
            }
        reply = text_or_none(values.get("reply"))
        if reply:
            replied = self.time("replied_at", values.get("replied_at"))
            raw["reply"] = {
                "text": reply,
                "department": text_or_none(values.get("reply_department")),
                "replied_at": replied[0] if replied else None,
            }
        for name, target in (("repost_of", "is_repost_of"), ("reply_to", "reply_to")):
            link = values.get(name)
            if link is not None and not isinstance(link, dict) and str(link).strip():
                raw[target] = stable_id(self.link_source(name), link, None)
        return raw

    def link_source(self, name: str) -> str:
        """The source whose ids a repost_of or reply_to value is."""
        spec = self.listing.fields.get(name)
        return (spec.source if isinstance(spec, Mapped) else None) or self.source.name

    def time(self, name: str, value: Any) -> tuple[datetime, Precision] | None:
        """A time field read with the field's formats, then the source's; None when absent."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        spec = self.listing.fields.get(name)
        formats = spec.time_formats if isinstance(spec, Mapped) else []
        dayfirst = spec.dayfirst if isinstance(spec, Mapped) else None
        reading = TimeReading(
            formats=(*formats, *self.source.time_formats),
            dayfirst=self.source.dayfirst if dayfirst is None else dayfirst,
        )
        try:
            return read_time(value, now=self.now, reading=reading)
        except TimeFormatError as exc:
            raise ItemRejected(f"{name}: {exc}") from exc

    def long_text_url(self, item: dict[str, Any], card: Any) -> str | None:
        """The detail URL holding the item's full text, when the list cut it short."""
        rule = self.listing.long_text
        if rule is None:
            return None
        if rule.when_path:
            if not dig(item, rule.when_path):
                return None
        elif not is_cut(str(self.value("text", item, card) or "")):
            return None
        values = {name: self.value(name, item, card) for name in self.listing.fields}
        url = fill(rule.url_template, values)
        return urljoin(self.listing.api_url, url) if url else None


def latest(moment: datetime, precision: str | None) -> datetime:
    """The latest instant a time read to `precision` may stand for ("06-27" is all that day)."""
    return moment + _SPAN.get(precision or "second", timedelta(0))


def is_cut(markup: str) -> bool:
    """Whether a text ends in the list's truncation mark ("...全文")."""
    return bool(_CUT.search(markup))


def without_more_link(markup: str) -> str:
    """A cut text without its trailing "全文" link (the ellipsis stays: the text is cut)."""
    return _MORE_LINK.sub("", markup) if is_cut(markup) else markup


def weibo_markup(markup: str) -> str:
    """Weibo's text HTML with each emoticon image replaced by its code (``[doge]``, the image's
    alt) and each link card dropped: a link whose url-icon image has no alt is a video, web
    page, place or 超话 card, and its label ("…的秒拍视频") is no part of what was said.
    Topics (#话题#) and mentions (@名字) are plain links and stay."""
    if "url-icon" not in markup:
        return markup
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return markup
    icons = root.xpath('.//span[contains(concat(" ", normalize-space(@class), " "), " url-icon ")]')
    for icon in icons:
        if icon.getparent() is None:
            continue  # inside a card dropped already
        alt = next((img.get("alt") for img in icon.iter("img") if img.get("alt")), None)
        if alt:
            _replace_with_text(icon, alt)
            continue
        card = next(icon.iterancestors("a"), None)
        (card if card is not None else icon).drop_tree()
    # The fragment's own markup, without the wrapper: the "全文" link must stay last.
    inner = [lxml.html.tostring(child, encoding="unicode") for child in root]
    return (root.text or "") + "".join(str(part) for part in inner)


def _replace_with_text(element: Any, text: str) -> None:
    previous, parent = element.getprevious(), element.getparent()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    element.drop_tree()


def fill(template: str | None, values: dict[str, Any]) -> str | None:
    """A URL template filled with an item's field values; None when one it names is empty."""
    if not template:
        return None
    names = {name for _, name, _, _ in Formatter().parse(template) if name}
    if any(values.get(name) in (None, "") for name in names):
        return None
    return template.format_map({name: quote(str(values[name]), safe="") for name in names})


def dig(data: Any, path: str | None) -> Any:
    """The value at a dotted path (``data.cards``, ``user.screen_name``, ``pics.0.url``)."""
    if not path:
        return None
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def count(value: Any) -> int:
    """Engagement counts as sites show them: 12, "12", "1.2万", "3k+", "" (none)."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return max(int(value), 0)
    match = _COUNT.match(str(value))
    if not match:
        return 0
    return int(float(match.group(1)) * _SCALE.get(match.group(2) or "", 1))


def region(value: Any) -> str | None:
    """Weibo labels the poster's location "发布于 青山区"; the region is what follows."""
    text = text_or_none(value)
    return text.removeprefix("发布于").strip() or None if text else None


def text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") and not isinstance(value, dict | list) else None
