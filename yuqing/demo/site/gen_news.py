"""Generates the two news outlets: 江澜日报 (RSS) and 江澜融媒 (Atom)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from yuqing.demo.site import news_kits_city, news_kits_life
from yuqing.demo.site.city import DISTRICT_NAMES, DISTRICTS, HOSPITALS, person_name
from yuqing.demo.site.compose import chance, clip, fill, pick, some
from yuqing.demo.site.models import NewsArticle
from yuqing.demo.site.plan import Kit, Story
from yuqing.demo.site.schedule import HISTORY_DAYS, STORIES, at_clock, day_start, rng_for

OUTLET_TOTALS = {"daily": 210, "media": 100}
FIRST_IDS = {"daily": 10001, "media": 60001}
KITS: tuple[Kit, ...] = (*news_kits_city.KITS, *news_kits_life.KITS)
# Roughly one 江澜日报 page in forty still carries the old template's gb2312 meta tag.
_MISLABELLED_EVERY = 40


def build_news(today: date) -> list[NewsArticle]:
    """All articles of both outlets, newest first; ids rise with time within each outlet."""
    rng = rng_for("news")
    year = str(today.year)
    drafts: list[tuple[Story, datetime]] = [
        (_filled(story, {"year": year}), at_clock(today, story.day, story.clock))
        for story in STORIES
    ]
    titles = {story.title for story, _ in drafts}
    for outlet, total in OUTLET_TOTALS.items():
        have = sum(1 for story, _ in drafts if story.outlet == outlet)
        for _ in range(total - have):
            story = _routine_story(rng, outlet, year, titles)
            titles.add(story.title)
            drafts.append((story, _routine_moment(rng, today)))
    drafts.sort(key=lambda draft: draft[1])
    articles = []
    for outlet in OUTLET_TOTALS:
        mine = [draft for draft in drafts if draft[0].outlet == outlet]
        for i, (story, moment) in enumerate(mine):
            articles.append(_article(rng, FIRST_IDS[outlet] + i, story, moment))
    articles.sort(key=lambda a: (a.published, a.id), reverse=True)
    return articles


def _filled(story: Story, values: dict[str, str]) -> Story:
    return Story(
        story.day,
        story.clock,
        story.outlet,
        story.channel,
        fill(story.title, values),
        tuple(fill(p, values) for p in story.paragraphs),
        story.key,
    )


def _routine_story(rng: random.Random, outlet: str, year: str, seen: set[str]) -> Story:
    for _ in range(4):  # a few tries to avoid printing the same headline twice
        kit = pick(rng, KITS)
        variant = rng.randrange(len(kit.titles))
        values = _news_slots(rng, year)
        title = fill(kit.titles[variant], values)
        if title not in seen:
            break
    body = [text for text, only in map(_marked, kit.body) if only in (None, variant)]
    paragraphs = [kit.leads[variant], *some(rng, body, 2, 4)]
    if len(paragraphs) < 3:
        paragraphs.append(pick(rng, news_kits_city.TAILS))
    return Story(0, "", outlet, kit.channel, title, tuple(fill(p, values) for p in paragraphs))


def _marked(paragraph: str) -> tuple[str, int | None]:
    """Splits off a "[n]" mark: the paragraph then belongs only to the kit's n-th variant."""
    if paragraph.startswith("[") and paragraph[2] == "]":
        return paragraph[3:], int(paragraph[1]) - 1
    return paragraph, None


def _news_slots(rng: random.Random, year: str) -> dict[str, str]:
    district = pick(rng, DISTRICT_NAMES)
    place = DISTRICTS[district]
    return {
        "year": year,
        "district": district,
        "road": pick(rng, place.roads),
        "spot": pick(rng, place.spots),
        "estate": pick(rng, place.estates),
        "hospital": pick(rng, HOSPITALS),
        "n": str(rng.randint(3, 18)),
        "big": str(rng.randint(120, 9800)),
        "pct": f"{rng.uniform(1.5, 9.8):.1f}",
        "rate": f"{rng.uniform(85.0, 99.6):.1f}",
        "money": f"{rng.uniform(3.0, 180.0):.1f}",
    }


def _routine_moment(rng: random.Random, today: date) -> datetime:
    day = -rng.randrange(HISTORY_DAYS)
    offset = timedelta(days=day, hours=rng.uniform(6.5, 22.5))
    return (day_start(today) + offset).replace(microsecond=0)


def _article(rng: random.Random, article_id: int, story: Story, moment: datetime) -> NewsArticle:
    return NewsArticle(
        id=article_id,
        outlet=story.outlet,
        channel=story.channel,
        title=story.title,
        summary=clip(story.paragraphs[0], 90),
        paragraphs=story.paragraphs,
        byline=_byline(rng),
        editor=person_name(rng),
        published=moment,
        charset=_charset(story.outlet, article_id),
        key=story.key,
    )


def _byline(rng: random.Random) -> str:
    line = "记者 " + " ".join(person_name(rng) for _ in range(rng.randint(1, 2)))
    if chance(rng, 0.4):
        line += f" 通讯员 {person_name(rng)}"
    return line


def _charset(outlet: str, article_id: int) -> str:
    # 江澜融媒 still runs an old GBK content system, so all its pages are GBK.
    if outlet == "media":
        return "gbk"
    return "mislabelled" if article_id % _MISLABELLED_EVERY == 7 else "utf-8"
