"""Generates the message board: residents' letters and the departments' replies."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from yuqing.demo.site.city import DISTRICT_GOVERNMENTS, board_author
from yuqing.demo.site.compose import chance, pick
from yuqing.demo.site.models import BoardMessage, BoardReply
from yuqing.demo.site.pii import mobile
from yuqing.demo.site.schedule import (
    WAVES,
    background_moment,
    office_time,
    pick_everyday,
    rng_for,
    wave_moment,
)
from yuqing.demo.site.topics import Topic, board_text, reply_text, slots

BOARD_TOTAL = 700
FIRST_ID = 30001
_REPLY_RATE = 0.85
_EVERYDAY_REPLY_DAYS = (0.6, 8.0)


def build_board(today: date) -> list[BoardMessage]:
    """All board messages, newest first, with ids rising in posting order."""
    rng = rng_for("board")
    messages = [
        _message(rng, wave.topic, wave_moment(rng, today, wave), wave.reply_days, today)
        for wave in WAVES
        for _ in range(wave.board)
    ]
    while len(messages) < BOARD_TOTAL:
        moment = background_moment(rng, today)
        messages.append(_message(rng, pick_everyday(rng), moment, _EVERYDAY_REPLY_DAYS, today))
    messages.sort(key=lambda m: m.published)
    numbered = [replace(m, id=FIRST_ID + i) for i, m in enumerate(messages)]
    return numbered[::-1]


def _message(
    rng: random.Random,
    topic: Topic,
    moment: datetime,
    reply_days: tuple[float, float],
    today: date,
) -> BoardMessage:
    s = slots(rng, topic) | {"year": str(today.year)}
    title, body = board_text(rng, topic, s)
    if chance(rng, 0.04):  # some writers leave a number despite the form's warning
        body += f"我的电话{mobile(rng)}，方便的话请联系我。"
    return BoardMessage(
        id=0,
        title=title,
        author=board_author(rng),
        published=moment.replace(microsecond=0),
        region=s["district"],
        category=topic.category,
        body=body,
        reply=_reply(rng, topic, moment, reply_days, s, title + body),
        key=topic.key,
    )


def _reply(
    rng: random.Random,
    topic: Topic,
    moment: datetime,
    reply_days: tuple[float, float],
    s: dict[str, str],
    letter: str,
) -> BoardReply | None:
    if not chance(rng, _REPLY_RATE):
        return None
    if topic.district is None and chance(rng, 0.25):
        dept = DISTRICT_GOVERNMENTS[s["district"]]
    else:
        dept = pick(rng, topic.depts)
    replied = office_time(rng, moment + timedelta(days=rng.uniform(*reply_days)))
    return BoardReply(dept=dept, replied=replied, body=reply_text(rng, topic, dept, s, letter))
