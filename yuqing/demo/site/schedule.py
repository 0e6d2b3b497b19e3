"""When things happen: seeds, the day window, office hours, and the incidents' combined timeline."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from core.timezone import SHANGHAI
from yuqing.demo.site import (
    everyday_homes,
    everyday_neighbours,
    everyday_services,
    everyday_streets,
    odour,
    odour_news,
    school,
    school_news,
    water,
    water_news,
)
from yuqing.demo.site.plan import Notice, Story, Wave
from yuqing.demo.site.topics import Topic

SEED = 2025
HISTORY_DAYS = 30  # background items spread over today and the 29 days before

WAVES: tuple[Wave, ...] = (*water.WAVES, *school.WAVES, *odour.WAVES)
STORIES: tuple[Story, ...] = (*water_news.STORIES, *school_news.STORIES, *odour_news.STORIES)
NOTICES: tuple[Notice, ...] = (*water.NOTICES, *school.NOTICES, *odour.NOTICES)

EVERYDAY: tuple[Topic, ...] = (
    *everyday_streets.TOPICS,
    *everyday_neighbours.TOPICS,
    *everyday_homes.TOPICS,
    *everyday_services.TOPICS,
)
# Streets and homes draw the most letters; praise and enquiries are a steady minority.
_WEIGHTS = {"traffic": 9, "bus": 5, "noise": 8, "garbage": 6, "parking": 7, "vendors": 3}
_WEIGHTS |= {"property": 9, "housing": 5, "market": 5, "wages": 4}
_WEIGHTS |= {"insurance": 6, "health": 5, "enquiry": 5, "praise": 8}
EVERYDAY_WEIGHTS = tuple(_WEIGHTS[topic.key] for topic in EVERYDAY)

# How many posts arrive in each hour of the day, relative to each other.
_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 4, 7, 10, 11, 11, 10, 9, 9, 10, 10, 9, 8, 8, 9, 10, 9, 7, 4)


def rng_for(source: str) -> random.Random:
    """One generator per source, so changing one source leaves the others' content alone."""
    return random.Random(f"{SEED}:{source}")


def day_start(today: date) -> datetime:
    return datetime.combine(today, time(0), SHANGHAI)


def day_end(today: date) -> datetime:
    return day_start(today) + timedelta(days=1)


def at_clock(today: date, day: int, clock: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return day_start(today) + timedelta(days=day, hours=hours, minutes=minutes)


def wave_moment(rng: random.Random, today: date, wave: Wave) -> datetime:
    """A moment inside the wave's hours; night waves run past midnight but never past today."""
    low, high = wave.hours
    moment = day_start(today) + timedelta(days=wave.day, hours=rng.uniform(low, high))
    latest = day_end(today) - timedelta(seconds=1)
    if moment > latest:
        moment = latest - timedelta(minutes=rng.uniform(0, 90))
    return moment.replace(microsecond=0)


def background_moment(rng: random.Random, today: date, days: int = HISTORY_DAYS) -> datetime:
    day = -rng.randrange(days)
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    offset = timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
    return day_start(today) + offset


def office_time(rng: random.Random, moment: datetime) -> datetime:
    """Moves `moment` into office hours (8:30-17:30), the next morning if it falls after them."""
    clock = moment.hour + moment.minute / 60
    if 8.5 <= clock <= 17.5:
        return moment.replace(microsecond=0)
    day = moment.date() if clock < 8.5 else moment.date() + timedelta(days=1)
    start = datetime.combine(day, time(0), SHANGHAI)
    return (start + timedelta(hours=rng.uniform(8.6, 11.5))).replace(microsecond=0)


def pick_everyday(rng: random.Random) -> Topic:
    return rng.choices(EVERYDAY, weights=EVERYDAY_WEIGHTS)[0]
