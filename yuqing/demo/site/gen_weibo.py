"""Generates the microblog: residents' posts, official notices, campaigns and reposts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from yuqing.demo.site import school, weibo_texts
from yuqing.demo.site.city import ACCOUNTS, DISTRICT_NAMES, screen_name
from yuqing.demo.site.compose import chance, pick
from yuqing.demo.site.models import MicroblogStatus, MicroblogUser
from yuqing.demo.site.plan import Notice
from yuqing.demo.site.schedule import (
    NOTICES,
    WAVES,
    at_clock,
    background_moment,
    day_end,
    day_start,
    pick_everyday,
    rng_for,
    wave_moment,
)
from yuqing.demo.site.topics import Topic, slots, weibo_text

WEIBO_TOTAL = 800
REPOST_TOTAL = 160
_CITIZENS = 320
_ID_BASE = 5_100_000_000_000_000
_ELSEWHERE = ("上海", "浙江", "广东", "北京", "江苏", "四川")
_DEVICES: tuple[str, ...] = (
    "iPhone客户端",
    "HUAWEI Mate 60 Pro",
    "小米14",
    "OPPO Find X7",
    "vivo X100",
)
_DEVICES += ("荣耀Magic6", "微博网页版", "iPhone 15 Pro Max", "Redmi K70")


@dataclass
class _Draft:
    published: datetime
    user: MicroblogUser
    text: str
    key: str
    viral: float = 0.0  # how likely others are to repost it
    original: _Draft | None = None
    reposted: int = 0
    id: str = ""


def build_microblog(today: date) -> list[MicroblogStatus]:
    """All statuses, newest first; ids rise with time as on the real service."""
    rng = rng_for("microblog")
    citizens = _citizens(rng)
    originals = _notices(rng, today, [*NOTICES, *weibo_texts.ROUTINE_NOTICES])
    originals += _campaigns(rng, today, citizens)
    for wave in WAVES:
        for _ in range(wave.weibo):
            user = _local_user(rng, citizens, wave.topic)
            viral = 3.0 if chance(rng, 0.1) else 0.0
            moment = wave_moment(rng, today, wave)
            originals.append(_post(rng, wave.topic, moment, user, viral))
    while len(originals) < WEIBO_TOTAL - REPOST_TOTAL:
        topic = pick_everyday(rng)
        user = _local_user(rng, citizens, topic)
        viral = 1.0 if chance(rng, 0.03) else 0.0
        originals.append(_post(rng, topic, background_moment(rng, today), user, viral))
    drafts = originals + _reposts(rng, today, originals, citizens)
    drafts.sort(key=lambda d: d.published)
    origin = day_start(today) - timedelta(days=60)
    previous = 0
    for draft in drafts:
        seconds = int((draft.published - origin).total_seconds())
        previous = max(_ID_BASE + seconds * 1000, previous + 1)
        draft.id = str(previous)
    return _statuses(rng, drafts)[::-1]


def _citizens(rng: random.Random) -> list[MicroblogUser]:
    users: list[MicroblogUser] = []
    names: set[str] = set()
    while len(users) < _CITIZENS:
        name = screen_name(rng)
        if name in names:
            continue
        names.add(name)
        verified = chance(rng, 0.05)
        home = pick(rng, _ELSEWHERE) if chance(rng, 0.08) else pick(rng, DISTRICT_NAMES)
        followers = int(rng.lognormvariate(5.0, 1.5))
        uid = rng.randint(1_000_000_000, 7_999_999_999)
        users.append(MicroblogUser(uid, name, verified, 0 if verified else -1, followers, home))
    return users


def _official(name: str) -> MicroblogUser:
    account = ACCOUNTS[name]
    uid = 2_000_000_000 + sum(ord(ch) for ch in name) * 97
    verified = account.verified_type >= 0
    followers = 80_000 + uid % 900_000
    return MicroblogUser(uid, name, verified, account.verified_type, followers, account.district)


def _local_user(rng: random.Random, citizens: list[MicroblogUser], topic: Topic) -> MicroblogUser:
    if topic.district and chance(rng, 0.75):
        locals_ = [user for user in citizens if user.district == topic.district]
        return pick(rng, locals_)
    return pick(rng, citizens)


def _post(
    rng: random.Random, topic: Topic, moment: datetime, user: MicroblogUser, viral: float
) -> _Draft:
    text = weibo_text(rng, topic, slots(rng, topic))
    return _Draft(moment, user, text, topic.key, viral)


def _notices(rng: random.Random, today: date, notices: list[Notice]) -> list[_Draft]:
    drafts = []
    for notice in notices:
        moment = at_clock(today, notice.day, notice.clock) + timedelta(seconds=rng.randrange(60))
        drafts.append(_Draft(moment, _official(notice.account), notice.text, notice.key, 8.0))
    return drafts


def _campaigns(rng: random.Random, today: date, citizens: list[MicroblogUser]) -> list[_Draft]:
    """Near-identical appeals pasted by many accounts, a pattern the analysis should spot."""
    runs = (
        (school.CAMPAIGN_TEXT, school.CAMPAIGN_ENDINGS, school.CAMPAIGN_DAYS, 24, school.KEY),
        (
            weibo_texts.HOUSING_CAMPAIGN,
            weibo_texts.CAMPAIGN_ENDINGS,
            weibo_texts.HOUSING_CAMPAIGN_DAYS,
            10,
            "housing",
        ),
    )
    drafts = []
    for text, endings, days, count, key in runs:
        authors = rng.sample(citizens, count)
        for user in authors:
            offset = timedelta(days=pick(rng, days), hours=rng.uniform(8.0, 23.5))
            moment = (day_start(today) + offset).replace(microsecond=0)
            drafts.append(_Draft(moment, user, _variant(rng, text, endings), key))
    return drafts


def _variant(rng: random.Random, text: str, endings: tuple[str, ...]) -> str:
    if chance(rng, 0.3):
        text = text.replace("强烈呼吁", pick(rng, ("呼吁", "恳请有关部门")))
    if chance(rng, 0.3):
        text = text.replace(" @江澜发布", "")
    if chance(rng, 0.2):
        text = text.replace("！", "!")
    ending = pick(rng, endings)
    # A space ends a trailing @mention, as the app inserts one after picking an account.
    return f"{text} {ending}" if ending else text


def _reposts(
    rng: random.Random, today: date, originals: list[_Draft], citizens: list[MicroblogUser]
) -> list[_Draft]:
    sources = [d for d in originals if d.viral > 0]
    weights = [d.viral for d in sources]
    latest = day_end(today) - timedelta(seconds=1)
    reposts: list[_Draft] = []
    while len(reposts) < REPOST_TOTAL:
        original = rng.choices(sources, weights=weights)[0]
        delay = timedelta(hours=min(rng.expovariate(1 / 4), 40))
        moment = (original.published + delay).replace(microsecond=0)
        if moment > latest:
            continue
        text = pick(rng, weibo_texts.REPOST_COMMENTS)
        earlier = [r for r in reposts if r.original is original and r.published < moment]
        if earlier and chance(rng, 0.35):  # reposting a repost keeps the chain in the text
            via = pick(rng, earlier)
            text = f"{text}//@{via.user.screen_name}:{via.text}"
        user = pick(rng, [u for u in rng.sample(citizens, 3) if u is not original.user])
        reposts.append(_Draft(moment, user, text, original.key, original=original))
        original.reposted += 1
    return reposts


def _statuses(rng: random.Random, drafts: list[_Draft]) -> list[MicroblogStatus]:
    """Turns drafts (oldest first) into statuses; originals always precede their reposts."""
    built: dict[int, MicroblogStatus] = {}
    out = []
    for draft in drafts:
        scale = 40.0 if draft.user.verified_type in (1, 3) else 1.0
        base = rng.lognormvariate(0.8, 1.3) * scale * (1 + draft.viral)
        retweeted = built[id(draft.original)] if draft.original is not None else None
        status = MicroblogStatus(
            id=draft.id,
            published=draft.published,
            text=draft.text,
            user=draft.user,
            reposts=draft.reposted + int(base * 0.6),
            comments=int(base * 0.8),
            likes=int(base * 3),
            region_name=f"发布于 {draft.user.district}",
            source=pick(rng, _DEVICES),
            retweeted=retweeted,
            key=draft.key,
        )
        built[id(draft)] = status
        out.append(status)
    return out
