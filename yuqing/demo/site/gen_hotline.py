"""Generates the 12345 hotline work orders, some carrying callers' personal data."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from yuqing.demo.site import pii
from yuqing.demo.site.city import DISTRICT_GOVERNMENTS, person_name
from yuqing.demo.site.compose import chance, pick
from yuqing.demo.site.models import HotlineOrder
from yuqing.demo.site.schedule import (
    WAVES,
    background_moment,
    office_time,
    pick_everyday,
    rng_for,
    wave_moment,
)
from yuqing.demo.site.topics import Topic, hotline_answer, hotline_text, slots

HOTLINE_TOTAL = 400
FIRST_NUMBER = 1_250_000
CHANNELS = ("电话", "网站", "微信", "APP")
_CHANNEL_WEIGHTS = (60, 15, 15, 10)
_CLOSE_RATE = 0.8
# Urgent matters (no water, fumes at night) get short deadlines; the rest the usual ones.
_URGENT = {"water": 2, "odour": 3}
_DEADLINES = (5, 7, 10, 15)
_CONTACTS = (
    "来电人联系电话：{mobile}。",
    "来电人要求回电，电话{mobile}。",
    "联系人：{name}，电话{landline}。",
    "来电人：{name}（身份证号{id}），联系电话{mobile}。",
    "来电人留下身份证号{id}，要求办理结果短信告知。",
)
# Bank details come up only where money is at stake.
_MONEY_KEYS = frozenset({"water", "market", "wages", "insurance", "housing"})
_MONEY_CONTACTS = (
    "来电人要求将相关补偿款打入其银行卡{card}。",
    "来电人提供收款银行卡号{card}，户名{name}。",
)


def build_hotline(today: date) -> list[HotlineOrder]:
    """All work orders, newest first, numbered in the order they were received."""
    rng = rng_for("hotline")
    drafts = [
        (wave.topic, wave_moment(rng, today, wave)) for wave in WAVES for _ in range(wave.hotline)
    ]
    while len(drafts) < HOTLINE_TOTAL:
        drafts.append((pick_everyday(rng), background_moment(rng, today)))
    drafts.sort(key=lambda draft: draft[1])
    orders = [
        _order(rng, FIRST_NUMBER + i, topic, moment, today)
        for i, (topic, moment) in enumerate(drafts)
    ]
    return orders[::-1]


def _order(
    rng: random.Random, number: int, topic: Topic, moment: datetime, today: date
) -> HotlineOrder:
    channel = rng.choices(CHANNELS, weights=_CHANNEL_WEIGHTS)[0]
    s = slots(rng, topic) | {"year": str(today.year)}
    title, content = hotline_text(rng, topic, s, channel)
    if chance(rng, 0.3):
        content += _contact(rng, topic.key in _MONEY_KEYS and chance(rng, 0.35))
    if topic.district is None and chance(rng, 0.3):
        handler = DISTRICT_GOVERNMENTS[s["district"]]
    else:
        handler = pick(rng, topic.depts)
    days = _URGENT.get(topic.key) or pick(rng, _DEADLINES)
    closed = None
    if chance(rng, _CLOSE_RATE):
        closed = office_time(rng, moment + timedelta(days=rng.uniform(0.2, days)))
    return HotlineOrder(
        number=f"JLRX{number:09d}",
        published=moment.replace(microsecond=0),
        channel=channel,
        region=s["district"],
        kind=topic.kind,
        title=title,
        content=content,
        handler=handler,
        deadline=moment.date() + timedelta(days=days),
        closed=closed,
        answer=hotline_answer(rng, topic, handler, s, title + content),
        key=topic.key,
    )


def _contact(rng: random.Random, money: bool) -> str:
    values = {
        "mobile": pii.mobile(rng),
        "landline": pii.landline(rng),
        "id": pii.id_number(rng),
        "card": pii.bank_card(rng),
        "name": person_name(rng),
    }
    return pick(rng, _MONEY_CONTACTS if money else _CONTACTS).format_map(values)
