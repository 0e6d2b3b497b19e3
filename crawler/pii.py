"""Masking personal numbers before anything is stored: phones, ID cards, bank cards.

Every digit but the last four becomes ``*``, so two records about one caller can still be
told apart by a person, while the number itself is gone.
"""

from __future__ import annotations

import re

_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9A-Za-z])"
_PATTERNS = [
    # ID cards: 18 characters (the last may be X) with a plausible birth date, or 15 digits.
    re.compile(
        _NOT_DIGIT_BEFORE
        + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
        + _NOT_DIGIT_AFTER
    ),
    re.compile(
        _NOT_DIGIT_BEFORE
        + r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
        + _NOT_DIGIT_AFTER
    ),
    # Bank cards: 16 to 19 digits, often written in groups of four.
    re.compile(_NOT_DIGIT_BEFORE + r"\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?" + _NOT_DIGIT_AFTER),
    # Mobile numbers, with or without +86 and separators.
    re.compile(_NOT_DIGIT_BEFORE + r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _NOT_DIGIT_AFTER),
    # Landlines: area code 0xx(x), optionally in brackets, then 7 or 8 digits.
    re.compile(
        _NOT_DIGIT_BEFORE
        + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ -]?\d{7,8}(?:-\d{1,5})?"
        + _NOT_DIGIT_AFTER
    ),
]


def _mask(match: re.Match[str]) -> str:
    digits = [c for c in match.group() if c.isdigit() or c in "Xx"]
    return "*" * (len(digits) - 4) + "".join(digits[-4:])


def mask_pii(text: str) -> str:
    """`text` with phone, ID-card and bank-card numbers masked to their last four digits."""
    if not text or not any(c.isdigit() for c in text):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text
