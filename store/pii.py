"""Masking personal numbers in what people read: mobile and landline phones, ID cards, bank cards.

Every digit but the last four becomes ``*`` (``13812345678`` -> ``*******5678``; separators,
brackets and a ``+86`` go with the masked digits), so two records about one caller can still be
told apart by a person, while the number itself is gone. `store.models.Post` applies it when a
post is validated, so every way in (crawl, import, load, the API) and every read shares it.

What counts as a number here:

* mobiles: 11 digits from 13x to 19x, written whole, 3-4-4 or 4-3-4 with spaces, dots or
  dashes, with ``+86``, ``0086``, ``86-`` or ``(+86)`` before them;
* landlines: an area code (0 and two or three digits, optionally in brackets) and a local
  number of 7 or 8 digits, which may be split once, with an optional extension;
* ID cards: 18 characters with a plausible birth date (the last may be X), whole or split 6-8-4
  or 6-4-4-4, and the 15-digit cards of before 1999;
* bank cards: 16 to 19 digits that start as card numbers do (3, 4, 5, 6, 9, or 2221-2720),
  whole, in groups of four, or split after the six-digit bank code.

A number may be glued to letters (``Tel13812345678``, ``wx13812345678``) but not to other
digits: a longer run of digits is some other number. Left alone: numbers labelled as an order,
a waybill, a transaction or an amount (``订单号2024011512345678``, ``金额：13800000000元``),
dates and date ranges (``20240115-20240120``), and anything shorter. The mask is idempotent:
masking masked text changes nothing, since a masked number starts with ``*`` and keeps four
digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

# One separator between digit groups (``~`` in the patterns below): a space (also no-break and
# ideographic), a dot or a dash.
_SEPARATOR = r"[ \u00a0\u3000.\-\u2010\u2011\u2013\uff0d]"


def _number(body: str) -> re.Pattern[str]:
    """A number that starts where no digit (nor a mask) stands before it and ends where no
    digit follows; letters may touch it."""
    return re.compile(r"(?<![\d*])" + body.replace("~", _SEPARATOR) + r"(?!\d)", re.ASCII)


_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"  # MMDD
_MOBILE = _number(
    r"(?:(?:(?:[+＋]|00)\s?86|[(（][+＋]?86[)）]|86-?)~?)?"
    r"1[3-9]\d(?:~?\d{4}~?\d{4}|\d~?\d{3}~?\d{4})"
)
_ID_18 = _number(r"[1-9]\d{5}~?(?:18|19|20)\d{2}~?" + _DATE + r"~?\d{3}[\dXx]")
_ID_15 = _number(r"[1-9]\d{5}~?\d{2}" + _DATE + r"~?\d{3}")
_CARD = _number(r"\d{4}(?:~?\d{4}){3}(?:~?\d{1,3})?|\d{6}~\d{10,13}")
_LANDLINE = _number(r"(?:[(（]0\d{2,3}[)）]|0\d{2,3})~?\d{3,4}~?\d{4}(?:[-转]\d{1,5})?")
_CARD_STARTS = ("3", "4", "5", "6", "9")

# A label right before a number that makes it something other than a person's.
_LABEL = re.compile(
    r"(?:(?:订|运)单(?:编?号码?)?|(?:快递|物流|货运|取件)?单编?号码?|快递号"
    r"|(?:流水|交易|工单|发票|合同)(?:编?号码?|代码)|金额|总额|总价|价格|价款|合计|共计)"
    r"\s*(?:[:：#]|为|是)?\s*(?:人民币|RMB|[¥￥$])?\s*$"
)
_LABEL_WINDOW = 20
_YYYYMMDD = re.compile(r"(?:19|20)\d{2}" + _DATE, re.ASCII)
_SEPARATORS = re.compile(_SEPARATOR)
# The shortest number masked has ten digits (a landline); text without such a run is left as is.
_CANDIDATE = re.compile(r"\d(?:[ \u00a0\u3000.\-\u2010\u2011\u2013\uff0d()（）]?\d){9}")
_DIGITS = frozenset("0123456789")
_FULL_WIDTH_DIGIT = re.compile(r"[\uff10-\uff19]")
_HALF_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF38: ord("X"), 0xFF58: ord("x")}


def mask_pii(text: str) -> str:
    """`text` with phone, ID-card and bank-card numbers masked to their last four digits."""
    if not text or _CANDIDATE.search(text) is None:
        return text
    for pattern, accept in _PASSES:
        text = _mask_all(pattern, accept, text)
    return text


def _mask_all(pattern: re.Pattern[str], accept: Callable[[str], bool], text: str) -> str:
    """Every match of `pattern` that `accept` takes and that is neither labelled nor a date,
    masked.

    Matching runs on a copy with full-width digits made half-width (of the same length, so its
    positions are the text's). A refused match is looked past by one character only, so a
    number that starts inside it after a separator is still found."""
    folded = text.translate(_HALF_WIDTH) if _FULL_WIDTH_DIGIT.search(text) else text
    pieces: list[str] = []
    kept = position = 0
    while (match := pattern.search(folded, position)) is not None:
        found = match.group()
        check = found[-1] if found[-1] in "Xx" else ""  # an ID card's check character
        digits = "".join(c for c in found if c in _DIGITS) + check
        if accept(digits) and not _dates(found) and not _labelled(folded, match.start()):
            pieces += [text[kept : match.start()], "*" * (len(digits) - 4), digits[-4:]]
            kept = position = match.end()
        else:
            position = match.start() + 1
    return "".join(pieces) + text[kept:] if pieces else text


def _labelled(text: str, start: int) -> bool:
    return _LABEL.search(text, max(0, start - _LABEL_WINDOW), start) is not None


def _dates(found: str) -> bool:
    """Whether the number is a date or a range of dates: 20240115, 20240115-20240120."""
    groups = [g for g in _SEPARATORS.split(found) if g]
    if len(groups) == 1 and len(groups[0]) == 16:
        groups = [groups[0][:8], groups[0][8:]]
    return all(_is_date(g) for g in groups)


def _is_date(digits: str) -> bool:
    if _YYYYMMDD.fullmatch(digits) is None:
        return False
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:  # 20230229
        return False
    return True


def _anything(_digits: str) -> bool:
    return True


def _card(digits: str) -> bool:
    """Whether the digits start as a card number does (not as an order number or a date)."""
    return digits.startswith(_CARD_STARTS) or 2221 <= int(digits[:4]) <= 2720


# ID cards first (18 digits would also read as a card), mobiles before landlines.
_PASSES: list[tuple[re.Pattern[str], Callable[[str], bool]]] = [
    (_ID_18, _anything),
    (_MOBILE, _anything),
    (_ID_15, _anything),
    (_CARD, _card),
    (_LANDLINE, _anything),
]


def mask_words(words: list[str]) -> list[str]:
    """Each word masked (keywords, tokens); the same list when none holds a number."""
    if _CANDIDATE.search("\n".join(words)) is None:
        return words
    return [mask_pii(word) for word in words]
