"""The shapes an incident's timeline is written in: waves of posts, news stories, notices."""

from __future__ import annotations

from dataclasses import dataclass

from yuqing.demo.site.topics import Topic


@dataclass(frozen=True)
class Wave:
    """How many residents' items about `topic` appear on one day (relative to today), and when."""

    topic: Topic
    day: int
    board: int = 0
    weibo: int = 0
    hotline: int = 0
    hours: tuple[float, float] = (7.0, 23.5)  # may pass 24 for night-time complaints
    reply_days: tuple[float, float] = (0.5, 5.0)


@dataclass(frozen=True)
class Story:
    """A news article written out in full; `day` is relative to today, `clock` is "HH:MM"."""

    day: int
    clock: str
    outlet: str  # "daily" (江澜日报, RSS) or "media" (江澜融媒, Atom)
    channel: str
    title: str
    paragraphs: tuple[str, ...]
    key: str = "background"


@dataclass(frozen=True)
class Notice:
    """A post by an official or media microblog account, widely reposted."""

    day: int
    clock: str
    account: str
    text: str
    key: str = "background"


def waves(
    topic: Topic,
    first_day: int,
    *,
    board: tuple[int, ...] = (),
    weibo: tuple[int, ...] = (),
    hotline: tuple[int, ...] = (),
    hours: tuple[float, float] = (7.0, 23.5),
    reply_days: tuple[float, float] = (0.5, 5.0),
) -> list[Wave]:
    """One wave per day from `first_day`, with per-day counts for each source."""
    length = max(len(board), len(weibo), len(hotline))

    def at(counts: tuple[int, ...], index: int) -> int:
        return counts[index] if index < len(counts) else 0

    return [
        Wave(
            topic,
            first_day + i,
            at(board, i),
            at(weibo, i),
            at(hotline, i),
            hours,
            reply_days,
        )
        for i in range(length)
    ]


@dataclass(frozen=True)
class Kit:
    """The makings of routine news on one subject, in variants.

    Title n goes with lead n; a body paragraph marked "[n]" fits only variant n, unmarked
    ones fit every variant.
    """

    channel: str
    titles: tuple[str, ...]
    leads: tuple[str, ...]
    body: tuple[str, ...]
