"""How hot a topic is, and why: the hot score of a cluster with one line per signal that fired.

The signals and their points are configured in `config/hot_issues.yaml` (see its comments):
a burst test (Poisson tail of the last hour's volume against the cluster's own 7-day rate),
volume, negative share, source diversity, engagement and sensitive terms, scaled down once an
official source has spoken. Every line of the explanation carries the numbers it came from, so
an analyst can check the flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analysis.hotconfig import HotConfig
from core.timezone import SHANGHAI

SHANGHAI = SHANGHAI
KIND_NAMES = {"news": "新闻", "board": "留言板", "microblog": "微博", "hotline": "12345热线"}


@dataclass
class Complaints:
    """A cluster's posts about its place on the complaint kinds of source over the
    persistence window."""

    place: str | None = None
    posts: int = 0
    complainants: int = 0  # distinct authors (a post without an author counts as one)
    likes: int = 0
    answered: int = 0
    first: datetime | None = None
    last: datetime | None = None

    @property
    def days(self) -> float:
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds() / 86400


@dataclass
class ClusterStats:
    """What the score reads about one cluster at time `now`."""

    now: datetime
    n_1h: int
    n_24h: int
    baseline_posts: int  # in the baseline window before the last hour
    baseline_hours: float
    kinds_24h: dict[str, int]
    negative_24h: int
    with_sentiment_24h: int
    engagement_24h: int
    sensitive_24h: dict[str, int]  # group -> posts
    copies_24h: int = 0  # posts that copy or repost an earlier one
    official_at: datetime | None = None
    official_by: str | None = None
    source_surge: dict[str, tuple[int, float]] = field(default_factory=dict)  # source: (1h, mean)
    complaints: Complaints = field(default_factory=Complaints)


@dataclass
class Signal:
    name: str
    fired: bool
    points: float
    detail: dict[str, Any]
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fired": self.fired,
            "points": round(self.points, 1),
            "detail": self.detail,
            "text": self.text,
        }


@dataclass
class HotScore:
    score: float
    urgent: bool
    signals: list[Signal]

    @property
    def explanation(self) -> list[str]:
        return [s.text for s in self.signals if s.fired]


def poisson_tail_log10(k: int, lam: float) -> float:
    """log10 of P(X >= k) for X ~ Poisson(lam); 0.0 for k <= 0."""
    if k <= 0:
        return 0.0
    log_pmf = -lam + k * math.log(lam) - math.lgamma(k + 1)
    # sum pmf(k) * (1 + lam/(k+1) + lam^2/((k+1)(k+2)) + ...) until the terms vanish
    total, term, i = 1.0, 1.0, k
    while term > 1e-16 * total and i < k + 10_000:
        i += 1
        term *= lam / i
        total += term
    return min(0.0, (log_pmf + math.log(total)) / math.log(10))


def score(stats: ClusterStats, config: HotConfig) -> HotScore:
    """The hot score of one cluster and the signals behind it."""
    c = config.score
    signals: list[Signal] = []

    # burst against the cluster's own rate
    b = c.burst
    rate = max(
        stats.baseline_posts / stats.baseline_hours if stats.baseline_hours else 0.0, b.prior_rate
    )
    lp = poisson_tail_log10(stats.n_1h, rate)
    fired = stats.n_1h >= b.min_posts and lp <= math.log10(b.fire_p)
    points = b.points * min(1.0, -lp / b.full_at_log10) if stats.n_1h >= b.min_posts else 0.0
    signals.append(
        Signal(
            "burst",
            fired,
            points,
            {"last_hour": stats.n_1h, "baseline_per_hour": round(rate, 3), "p_log10": round(lp, 2)},
            f"突发：近1小时{stats.n_1h}条，基线每小时{rate:.2f}条，泊松尾概率≈1e{lp:.1f}",
        )
    )
    surging = {
        s: v
        for s, v in stats.source_surge.items()
        if v[1] > 0 and v[0] / v[1] >= c.source_surge_ratio
    }
    if surging:
        parts = "，".join(f"{s} {n}条/时（平时{m:.1f}）" for s, (n, m) in sorted(surging.items()))
        signals.append(
            Signal(
                "source_surge",
                True,
                0.0,
                {
                    s: {"last_hour": n, "mean_per_hour": round(m, 2)}
                    for s, (n, m) in surging.items()
                },
                f"来源激增：{parts}",
            )
        )

    v = c.volume
    points = v.points * min(1.0, math.log1p(stats.n_24h) / math.log1p(v.full_at))
    signals.append(
        Signal(
            "volume",
            stats.n_24h >= v.fire_at,
            points,
            {"last_24h": stats.n_24h},
            f"声量：近24小时{stats.n_24h}条",
        )
    )

    n = c.negative
    share = stats.negative_24h / stats.with_sentiment_24h if stats.with_sentiment_24h else 0.0
    enough = stats.with_sentiment_24h >= n.min_posts
    span = max(n.full_share - n.from_share, 1e-9)
    points = n.points * min(1.0, max(0.0, (share - n.from_share) / span)) if enough else 0.0
    signals.append(
        Signal(
            "negative",
            enough and share >= n.fire_share,
            points,
            {
                "negative": stats.negative_24h,
                "of": stats.with_sentiment_24h,
                "share": round(share, 3),
            },
            f"负面占比：{share:.0%}（{stats.negative_24h}/{stats.with_sentiment_24h}）",
        )
    )

    d = c.diversity
    kinds = sorted(k for k, cnt in stats.kinds_24h.items() if cnt)
    frac = d.by_kinds.get(len(kinds), 1.0 if len(kinds) > max(d.by_kinds, default=0) else 0.0)
    mix = "、".join(f"{KIND_NAMES.get(k, k)}{stats.kinds_24h[k]}" for k in kinds)
    signals.append(
        Signal(
            "diversity",
            len(kinds) >= d.fire_kinds,
            d.points * frac,
            {"kinds": {k: stats.kinds_24h[k] for k in kinds}},
            f"多源传播：{len(kinds)}类来源（{mix}）",
        )
    )

    e = c.engagement
    points = e.points * min(1.0, math.log1p(stats.engagement_24h) / math.log1p(e.full_at))
    signals.append(
        Signal(
            "engagement",
            stats.engagement_24h >= e.fire_at,
            points,
            {"engagement": stats.engagement_24h},
            f"互动量：近24小时转评赞{stats.engagement_24h}",
        )
    )

    cp = c.copies
    points = cp.points * min(1.0, stats.copies_24h / cp.full_at)
    signals.append(
        Signal(
            "copies",
            stats.copies_24h >= cp.fire_at,
            points if stats.copies_24h >= cp.fire_at else 0.0,
            {"copies": stats.copies_24h},
            f"集中转发/复制：近24小时{stats.copies_24h}条与先前内容高度相似",
        )
    )

    signals.append(persistent(stats.complaints, config))

    hits = {g: cnt for g, cnt in stats.sensitive_24h.items() if cnt}
    urgent = bool(set(hits) & config.urgent_groups())
    signals.append(
        Signal(
            "sensitive",
            bool(hits),
            c.sensitive.points if hits else 0.0,
            {"groups": hits},
            "敏感词：" + "、".join(f"{g}{cnt}条" for g, cnt in sorted(hits.items())),
        )
    )

    total = min(100.0, sum(s.points for s in signals))
    if stats.official_at is not None:
        local = stats.official_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
        signals.append(
            Signal(
                "official",
                True,
                0.0,
                {
                    "at": stats.official_at.isoformat(),
                    "by": stats.official_by,
                    "factor": c.official_factor,
                },
                f"官方已发声：{stats.official_by or '官方来源'}（{local}），"
                f"热度×{c.official_factor}",
            )
        )
        total *= c.official_factor
    return HotScore(round(total, 1), urgent, signals)


def persistent(c: Complaints, config: HotConfig) -> Signal:
    """The persistent-complaint signal: voices (distinct complainants, plus likes as "+1"s)
    on a log scale, times how long it has lasted, cooled by the share already answered."""
    p = config.score.persistent
    voices = c.complainants + c.likes / p.likes_per_voice
    days = c.days
    lasting = c.place is not None and days >= p.min_days
    answered = c.answered / c.posts if c.posts else 0.0
    points = 0.0
    if lasting and voices > 1:
        people = min(1.0, math.log1p(voices) / math.log1p(p.full_voices))
        duration = min(1.0, days / p.full_days)
        points = p.points * people * duration * (1 - p.answered_weight * answered)
    return Signal(
        "persistent",
        lasting and voices >= p.fire_voices,
        points,
        {
            "place": c.place,
            "complainants": c.complainants,
            "posts": c.posts,
            "likes": c.likes,
            "days": round(days, 1),
            "answered_share": round(answered, 3),
        },
        f"持续投诉（{c.place or '无具体地点'}）：{c.complainants}人{c.posts}条，跨{days:.0f}天，"
        f"点赞{c.likes}，"
        f"已答复{answered:.0%}",
    )
