"""Invented personal data of realistic shape, which the product must mask when it ingests posts."""

from __future__ import annotations

import random
from datetime import date, timedelta

from yuqing.demo.site.city import AREA_CODE
from yuqing.demo.site.compose import pick

_MOBILE_PREFIXES: tuple[str, ...] = ("139", "138", "137", "136", "135", "150", "151", "158")
_MOBILE_PREFIXES += ("159", "186", "187", "188", "130", "131", "132", "155", "133", "153", "180")
_MOBILE_PREFIXES += ("181", "189", "177")
_ID_REGIONS = ("371203", "371202", "371221", "371231", "371204")  # shaped like 江澜's districts
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CARD_BINS = ("622202", "622848", "621700", "622588", "621483", "622609")


def mobile(rng: random.Random) -> str:
    return pick(rng, _MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def landline(rng: random.Random) -> str:
    return f"{AREA_CODE}-{rng.randint(2, 8)}{rng.randint(0, 9_999_999):07d}"


def id_number(rng: random.Random) -> str:
    """An 18-digit resident ID with a correct check digit, so validating maskers catch it."""
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 20_000))
    body = f"{pick(rng, _ID_REGIONS)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def bank_card(rng: random.Random) -> str:
    """A 16- or 19-digit card number that passes the Luhn check."""
    length = pick(rng, (16, 19))
    body = pick(rng, _CARD_BINS) + "".join(str(rng.randint(0, 9)) for _ in range(length - 7))
    return body + str(_luhn_digit(body))


def _luhn_digit(body: str) -> int:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # these get doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10
