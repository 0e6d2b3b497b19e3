"""What a topic is, and how residents, call-takers and officials put one into words."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from yuqing.demo.site.city import BUS_LINES, DISTRICT_NAMES, DISTRICTS, department_phone
from yuqing.demo.site.compose import (
    best_match,
    chance,
    clip,
    fill,
    first_clause,
    join_sentences,
    lines,
    pick,
    related,
    some,
)


@dataclass(frozen=True)
class Topic:
    """One subject people write about; an incident has several topics, one per phase."""

    key: str  # the incident ("water", "school", "odour") or an everyday subject
    category: str  # the board's 问题类别
    kind: str  # the hotline's 诉求分类
    depts: tuple[str, ...]  # who answers; a district government is added for local topics
    titles: tuple[str, ...]
    complaints: tuple[str, ...]  # first person, for the board and the microblog
    asks: tuple[str, ...]
    calls: tuple[str, ...]  # third person, as a call-taker records them
    posts: tuple[str, ...]  # short microblog lines
    findings: tuple[str, ...]  # what the answering department says it found or did
    tags: tuple[str, ...] = ()
    district: str | None = None  # incidents happen in one district
    places: tuple[str, ...] = ()  # the estates an incident touches
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    positive: bool = False


_OPENERS = lines(
    """
    各位领导好！
    尊敬的领导：您好！
    我是{district}{estate}的居民，
    我是{estate}{building}的业主，
    您好，想反映一个问题。
    麻烦问一下，
    领导好，
    """
)
_CLOSINGS = lines(
    """
    盼复，谢谢！
    希望尽快给个答复。
    谢谢！
    望重视！
    辛苦了。
    麻烦领导看一下，谢谢。
    """
)
_THANKS = ("谢谢！", "特此表扬！", "再次感谢！")
_REPLY_OPENERS = lines(
    """
    您好，您反映的问题已收悉。
    网友您好！您的留言已收悉，现答复如下：
    尊敬的网友：您好！感谢您对我们工作的关注。
    您好，您反映的问题已收悉，经了解，
    """
)
_REPLY_CLOSINGS = lines(
    """
    感谢您的理解与支持。
    如有疑问，可致电{phone}咨询。
    感谢您对我们工作的关注和监督。
    我们将持续跟进，欢迎继续监督。
    如仍有问题，请拨打{phone}与我们联系。
    """
)
_CALL_OPENERS = {
    "电话": ("市民来电反映：", "来电人反映：", "市民来电称，"),
    "网站": ("市民通过网站反映：", "网民留言反映："),
    "微信": ("市民通过微信公众号反映：", "市民微信留言称，"),
    "APP": ("市民通过“i江澜”APP反映：", "APP用户反映："),
}
_CALL_OUTCOMES = lines(
    """
    已电话回复来电人，来电人表示满意。
    已与来电人沟通，来电人表示认可。
    已电话联系来电人，来电人表示基本满意。
    已回复来电人，来电人对处理结果不满意，表示将继续关注。
    已将处理情况告知来电人。
    """
)
_EMOTICONS = ("[怒]", "[泪]", "[允悲]", "[衰]", "[doge]", "[抓狂]", "[费解]", "[生病]", "[汗]")
_HAPPY_EMOTICONS = ("[赞]", "[鼓掌]", "[心]", "[给力]", "[哈哈]", "[good]")
_SLOT_WORDS = {
    "days": ("两天", "三天", "四五天", "一个星期", "半个多月", "一个多月", "好几天"),
    "n": ("两", "三", "四", "五", "好几", "十几"),
    "clock": ("早上六点", "早上七点多", "中午", "下午三点", "晚上十点", "凌晨一点", "半夜两点"),
}


def slots(rng: random.Random, topic: Topic, district: str | None = None) -> dict[str, str]:
    """Concrete places and numbers for one text about `topic`."""
    name = district or topic.district or pick(rng, DISTRICT_NAMES)
    place = DISTRICTS[name]
    values = {
        "district": name,
        "estate": pick(rng, topic.places or place.estates),
        "road": pick(rng, place.roads),
        "spot": pick(rng, place.spots),
        "building": f"{rng.randint(1, 28)}栋",
        "line": pick(rng, BUS_LINES),
    }
    for key, words in _SLOT_WORDS.items():
        values[key] = pick(rng, words)
    for key, words in topic.extra.items():
        values[key] = pick(rng, words)
    return values


def _title_for(rng: random.Random, topic: Topic, lead: str) -> str:
    """A pool title about the same thing as `lead`, else the lead's own opening clause."""
    title, shared = best_match(rng, topic.titles, lead)
    if shared >= 2:
        return title
    clause = first_clause(lead)
    return clause if 6 <= len(clause) <= 26 else title


def board_text(rng: random.Random, topic: Topic, s: Mapping[str, str]) -> tuple[str, str]:
    """A title and a first-person message of 20 to 400 characters."""
    lead = pick(rng, topic.complaints)
    title = _title_for(rng, topic, lead)
    long_letter = chance(rng, 0.25)
    parts = []
    if long_letter or chance(rng, 0.4):
        parts.append(pick(rng, _OPENERS))
    # One incident's complaints all fit together; an everyday pool mixes unrelated grievances.
    strict = topic.district is None
    low, high = (3, 6) if long_letter else (1, 3)
    parts += related(rng, topic.complaints, lead, low, high, strict=strict)
    lows = (2, 3) if long_letter else (0 if len(parts) > 2 else 1, 2)
    parts += related(rng, topic.asks, title + lead, *lows, strict=strict)
    if long_letter or chance(rng, 0.5):
        parts.append(pick(rng, _THANKS if topic.positive else _CLOSINGS))
    body = clip(fill(join_sentences(parts), s), 400)
    return fill(title, s), body


def hotline_text(
    rng: random.Random, topic: Topic, s: Mapping[str, str], channel: str
) -> tuple[str, str]:
    """A work order's title and content, written by the call-taker in the third person."""
    lead = pick(rng, topic.calls)
    title = _title_for(rng, topic, lead)
    calls = related(rng, topic.calls, lead, 1, 2, strict=True)
    asks = related(rng, topic.asks, title + lead, 1, 1)
    parts = [pick(rng, _CALL_OPENERS[channel]) + calls[0], *calls[1:], "诉求：" + asks[0]]
    return fill(title, s), fill(join_sentences(parts), s)


def weibo_text(rng: random.Random, topic: Topic, s: Mapping[str, str]) -> str:
    """A plain microblog text; `#话题#`, `@账号` and newlines become markup when served."""
    roll = rng.random()
    post = pick(rng, topic.posts)
    if roll < 0.55:
        body = post
    elif roll < 0.85:
        body = join_sentences(some(rng, topic.complaints, 1, 2))
    else:
        body = post + "\n" + join_sentences(related(rng, topic.complaints, post, 1, 3))
    if topic.tags and chance(rng, 0.6):
        tag = f"#{pick(rng, topic.tags)}#"
        body = tag + body if chance(rng, 0.7) else body + tag
    if chance(rng, 0.4):
        body += pick(rng, _HAPPY_EMOTICONS if topic.positive else _EMOTICONS)
    return fill(body, s)


def reply_text(
    rng: random.Random, topic: Topic, dept: str, s: Mapping[str, str], letter: str
) -> str:
    """The department's answer to `letter` on the board, in the usual official phrasing."""
    findings = related(rng, topic.findings, letter, 1, 3, strict=topic.district is None)
    parts = [pick(rng, _REPLY_OPENERS), *findings]
    parts.append(pick(rng, _REPLY_CLOSINGS))
    return fill(join_sentences(parts), {**s, "phone": department_phone(dept), "dept": dept})


def hotline_answer(
    rng: random.Random, topic: Topic, dept: str, s: Mapping[str, str], order: str
) -> str:
    """The handling department's answer to the work order `order`."""
    findings = join_sentences(related(rng, topic.findings, order, 1, 2, strict=True))
    text = f"经{dept}核实：{findings}{pick(rng, _CALL_OUTCOMES)}"
    return fill(text, {**s, "phone": department_phone(dept), "dept": dept})
