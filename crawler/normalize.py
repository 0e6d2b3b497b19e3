"""Normalising what spiders and importers bring in: encodings, HTML, whitespace, times."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Literal

import charset_normalizer
import lxml.html
from lxml import etree

from core.errors import TimeFormatError
from core.timezone import SHANGHAI

_UTF8_BOM = b"\xef\xbb\xbf"
# Legacy Chinese charsets are read with their supersets: pages labelled gb2312 routinely hold
# GBK-only characters, and big5 pages hold HKSCS ones.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


def decode_body(body: bytes, declared: str | None = None) -> str:
    """Text of a page or file whose declared charset may be missing or wrong.

    Valid UTF-8 is taken as UTF-8 whatever the label says (sites that moved to UTF-8 often
    kept their gb2312 meta tag); then the declared charset, strictly; then GB18030, the usual
    legacy encoding of mainland sources; then a detector's guess; then Big5-HKSCS.
    """
    body = body.removeprefix(_UTF8_BOM)
    encoding = detect_encoding(body, declared)
    if encoding is None:
        return body.decode("gb18030", errors="replace")
    return body.decode(encoding)


def detect_encoding(body: bytes, declared: str | None = None) -> str | None:
    """The encoding `decode_body` reads `body` with, or None when none decodes it strictly.

    For streaming readers that decode a large file piece by piece: pass a sample that ends
    at a line break, so that no character is cut in two.
    """
    body = body.removeprefix(_UTF8_BOM)
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in _candidates(body, declared):
        try:
            body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return encoding
    return None


def _candidates(body: bytes, declared: str | None) -> Iterator[str]:
    if declared:
        name = declared.strip().lower()
        yield _SUPERSETS.get(name, name)
    # Undeclared legacy text from mainland sources is GB18030 far more often than anything a
    # detector guesses from a short sample (it takes short Chinese for Korean), so it comes
    # first; GB18030 refuses many other encodings' byte sequences, which then reach the
    # detector, the slow part.
    yield "gb18030"
    guess = charset_normalizer.from_bytes(body[:200_000]).best()
    if guess is not None and guess.encoding:
        yield _SUPERSETS.get(guess.encoding, guess.encoding)
    yield "big5hkscs"


_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "blockquote", "pre", "table", "ul", "ol", "dd", "dt", "header", "footer",
}  # fmt: skip


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment or page, blocks on their own lines."""
    if "<" not in markup and "&" not in markup:
        return clean_text(markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(markup)
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return clean_text(root.text_content())


_FULL_WIDTH_ALNUM = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},
    **{0xFF21 + i: 0x41 + i for i in range(26)},
    **{0xFF41 + i: 0x61 + i for i in range(26)},
    0x3000: 0x20,  # ideographic space
    0x00A0: 0x20,  # no-break space
}
_SPACES = re.compile(r"[ \t\r\f\v\u200b\u2028\u2029]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    """Whitespace collapsed, full-width letters and digits made half-width.

    Chinese punctuation stays full-width: it is the normal form in Chinese text, and folding
    it would change how a sentence reads.
    """
    text = text.translate(_FULL_WIDTH_ALNUM).replace("\u200b", "")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


_RELATIVE = re.compile(r"^(\d+)\s*(秒|分钟|小时|天)前$")
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}
_DAY_WORD_TIME = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/月](\d{1,2})日?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_FULL = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,6}))?秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
# US and European exports put the year last: 12/31/2016, 31.12.2016 9:30, 1/5/2016 1:30 PM.
_YEAR_LAST = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}

# How exactly a time is known: a bare date, a time to the minute, or to the second.
Precision = Literal["day", "minute", "second"]
PRECISION_RANK: dict[str, int] = {"day": 0, "minute": 1, "second": 2}


@dataclass(frozen=True)
class TimeReading:
    """How a source's times are read: its own strptime patterns first, and whether a date
    with the year last puts the day first."""

    formats: tuple[str, ...] = ()
    dayfirst: bool = False


def parse_time(value: object, *, now: datetime | None = None) -> datetime:
    """A timezone-aware time in Asia/Shanghai from what sources write.

    Accepts ISO 8601 and its Chinese variants (2025年3月18日 10:23), RFC 822 (feeds), the
    Weibo API's ``Tue Mar 18 10:23:45 +0800 2025``, epoch seconds or milliseconds, dates with
    the year last (12/31/2016, month first), and the relative forms of Chinese sites: 刚刚,
    5分钟前, 3小时前, 今天 08:15, 昨天 12:30, 03-18. A time without a zone is Beijing time.
    """
    return read_time(value, now=now)[0]


def read_time(
    value: object, *, now: datetime | None = None, reading: TimeReading | None = None
) -> tuple[datetime, Precision]:
    """`parse_time` with how precisely the value gives the time, and the source's own
    `reading` of it (patterns tried first, day or month first). Precision is what the text
    shows: ``06-27`` and ``2019-06-16`` are days, ``今天 08:15`` and ``5分钟前`` minutes."""
    reading = reading or TimeReading()
    now = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    if isinstance(value, datetime):
        moment = (
            value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value.astimezone(SHANGHAI)
        )
        return moment, "second"
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=SHANGHAI), "day"
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10_000_000_000 else value
        return datetime.fromtimestamp(seconds, SHANGHAI), "second"
    if not isinstance(value, str):
        raise TimeFormatError(f"not a time: {value!r}")
    text = clean_text(value)
    if not text:
        raise TimeFormatError("empty time")
    for pattern in reading.formats:
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        moment = parsed.replace(tzinfo=SHANGHAI) if parsed.tzinfo is None else parsed
        return moment.astimezone(SHANGHAI), _pattern_precision(pattern)
    return _builtin(text, now, reading.dayfirst)


def _builtin(text: str, now: datetime, dayfirst: bool) -> tuple[datetime, Precision]:
    if text == "刚刚":
        return now, "minute"
    if match := _RELATIVE.match(text):
        unit = match.group(2)
        moment = now - timedelta(**{_UNITS[unit]: int(match.group(1))})
        return moment, "day" if unit == "天" else "minute"
    if match := _DAY_WORD_TIME.match(text):
        day = now.date() - timedelta(days=_DAY_WORDS[match.group(1)])
        hour, minute, second = int(match.group(2)), int(match.group(3)), int(match.group(4) or 0)
        moment = _at(day.year, day.month, day.day, hour, minute, second)
        return moment, "second" if match.group(4) else "minute"
    if match := _FULL.match(text):
        return _full(match)
    if match := _MONTH_DAY.match(text):
        month, day_ = int(match.group(1)), int(match.group(2))
        hour, minute = int(match.group(3) or 0), int(match.group(4) or 0)
        moment = _at(now.year, month, day_, hour, minute, int(match.group(5) or 0))
        # Sites drop the year for this year's dates; one "in the future" is last year's.
        if moment > now + timedelta(days=1):
            moment = moment.replace(year=now.year - 1)
        return moment, _shown(match.group(3), match.group(5))
    if match := _YEAR_LAST.match(text):
        return _year_last(match, dayfirst)
    if text.isdigit():
        return read_time(int(text), now=now)
    for parser in (_weibo, parsedate_to_datetime, datetime.fromisoformat):
        try:
            parsed = parser(text)
        except (ValueError, TypeError, IndexError):
            continue
        moment = read_time(parsed, now=now)[0]
        if _midnight(parsed.hour, parsed.minute, parsed.second):
            return moment, "day"
        no_seconds = parser is datetime.fromisoformat and text.count(":") == 1
        return moment, "minute" if no_seconds else "second"
    raise TimeFormatError(f"unknown time format: {text!r}")


def _midnight(hour: int, minute: int, second: int) -> bool:
    """Feeds and exports that know only the date write it at 00:00:00 of their own zone
    ("Fri, 21 Nov 2025 00:00:00 +0000"): a time no one posts at, read as a bare date."""
    return hour == minute == second == 0


def _shown(hour: str | None, second: str | None) -> Precision:
    if hour is None:
        return "day"
    return "second" if second is not None else "minute"


def _pattern_precision(pattern: str) -> Precision:
    if "%S" in pattern or "%s" in pattern or "%c" in pattern or "%X" in pattern:
        return "second"
    if any(d in pattern for d in ("%H", "%I", "%M", "%R", "%T")):
        return "minute"
    return "day"


def _year_last(match: re.Match[str], dayfirst: bool) -> tuple[datetime, Precision]:
    first, second_, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    # A number above 12 can only be the day, whatever the switch says.
    if first > 12 >= second_:
        day, month = first, second_
    elif second_ > 12 >= first:
        month, day = first, second_
    else:
        day, month = (first, second_) if dayfirst else (second_, first)
    hour, minute, seconds = int(match.group(4) or 0), int(match.group(5) or 0), match.group(6)
    half = (match.group(7) or "").lower()
    if half and not 1 <= hour <= 12:
        raise TimeFormatError(f"not a 12-hour time: {match.group(0)!r}")
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    moment = _at(year, month, day, hour, minute, int(seconds or 0))
    return moment, _shown(match.group(4), seconds)


def _weibo(text: str) -> datetime:
    return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")


def _at(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError as exc:
        raise TimeFormatError(f"not a real time: {exc}") from exc


def _full(match: re.Match[str]) -> tuple[datetime, Precision]:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = _at(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
    )
    precision = _shown(hour, second)
    if hour is not None and _midnight(int(hour), int(minute), int(second or 0)) and not fraction:
        precision = "day"
    if fraction:
        moment = moment.replace(microsecond=int(fraction.ljust(6, "0")))
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))
        return moment.replace(tzinfo=offset).astimezone(SHANGHAI), precision
    if zone == "Z":
        return moment.replace(tzinfo=UTC).astimezone(SHANGHAI), precision
    return moment, precision
