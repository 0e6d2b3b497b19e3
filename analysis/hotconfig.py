"""What the hot score reads from `config/hot_issues.yaml`: how posts are clustered, the points of
each signal and when it fires, the sensitive terms and the city's official authors. Unknown
keys are an error (the file is checked when it is loaded)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from analysis.clustering import Params
from core.configfile import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClusteringConfig(_Strict):
    threshold: float = Field(default=0.3, gt=0, le=1)
    half_life_hours: float = Field(default=12, gt=0)
    expire_hours: float = Field(default=72, gt=0)
    # Hours a topic's posts may be apart, per kind of source (the others: `expire_hours`).
    windows: dict[str, float] = {"board": 720.0, "hotline": 720.0}
    merge_threshold: float = Field(default=0.5, gt=0, le=1)
    # Distinct topical words a post needs to open a topic of its own.
    min_terms: int = Field(default=2, ge=1)
    # Words more common than this (jieba's reference IDF; the median word is about 12) tell no
    # topic apart ("注意", "孩子", "不要") and do not count, unless they are names.
    min_idf: float = Field(default=0.0, ge=0)
    # How much more the name of a place, estate, road or organisation weighs than other words.
    name_weight: float = Field(default=2.0, ge=1)
    # Words too common in the office's posts to tell topics apart.
    common_words: frozenset[str] = frozenset()

    def params(self) -> Params:
        return Params(
            self.threshold,
            self.half_life_hours,
            self.expire_hours,
            tuple(sorted(self.windows.items())),
            self.min_terms,
        )


class BurstConfig(_Strict):
    points: float = 30
    baseline_days: int = Field(default=7, ge=1)
    prior_rate: float = Field(default=0.2, gt=0)
    full_at_log10: float = Field(default=8, gt=0)
    fire_p: float = Field(default=0.001, gt=0, lt=1)
    min_posts: int = Field(default=3, ge=1)


class VolumeConfig(_Strict):
    points: float = 15
    full_at: int = Field(default=60, ge=1)
    fire_at: int = Field(default=10, ge=1)


class NegativeConfig(_Strict):
    points: float = 20
    negative_below: float = Field(default=0.4, gt=0, lt=1)
    from_share: float = Field(default=0.3, ge=0, lt=1)
    full_share: float = Field(default=0.8, gt=0, le=1)
    fire_share: float = Field(default=0.5, ge=0, le=1)
    min_posts: int = Field(default=3, ge=1)


class DiversityConfig(_Strict):
    points: float = 15
    by_kinds: dict[int, float] = {1: 0.0, 2: 0.5, 3: 0.8, 4: 1.0}
    fire_kinds: int = Field(default=2, ge=1)


class EngagementConfig(_Strict):
    points: float = 10
    full_at: int = Field(default=20_000, ge=1)
    fire_at: int = Field(default=500, ge=0)


class SensitiveScoreConfig(_Strict):
    points: float = 20


class CopiesConfig(_Strict):
    points: float = 10
    full_at: int = Field(default=20, ge=1)
    fire_at: int = Field(default=5, ge=1)


class PersistentConfig(_Strict):
    """A complaint that comes back: distinct complainants (and likes, `likes_per_voice` likes
    counting as one more voice) over days or weeks, on the kinds of source people complain on."""

    points: float = 65
    kinds: list[str] = ["board", "hotline"]
    window_days: float = Field(default=30, gt=0)
    full_voices: float = Field(default=6, gt=1)
    fire_voices: float = Field(default=3, ge=1)
    likes_per_voice: int = Field(default=10, ge=1)
    # The complaint must span this many days to count; full points from `full_days`.
    min_days: float = Field(default=2, ge=0)
    full_days: float = Field(default=7, gt=0)
    # Points are scaled by (1 - answered_weight * answered share): answered complaints cool.
    answered_weight: float = Field(default=0.5, ge=0, le=1)


class ScoreConfig(_Strict):
    burst: BurstConfig = BurstConfig()
    volume: VolumeConfig = VolumeConfig()
    negative: NegativeConfig = NegativeConfig()
    diversity: DiversityConfig = DiversityConfig()
    engagement: EngagementConfig = EngagementConfig()
    sensitive: SensitiveScoreConfig = SensitiveScoreConfig()
    copies: CopiesConfig = CopiesConfig()
    persistent: PersistentConfig = PersistentConfig()
    official_factor: float = Field(default=0.85, gt=0, le=1)
    source_surge_ratio: float = Field(default=3.0, gt=1)


class SensitiveGroup(_Strict):
    group: str
    urgent: bool = False
    terms: list[str] = Field(min_length=1)


class HotConfig(_Strict):
    clustering: ClusteringConfig = ClusteringConfig()
    score: ScoreConfig = ScoreConfig()
    sensitive: list[SensitiveGroup] = []
    official_authors: list[str] = []

    @classmethod
    def from_file(cls, path: Path) -> HotConfig:
        return load_model(path, cls, "hot issues file")

    def sensitive_groups(self, text: str) -> list[str]:
        """The sensitive groups whose terms occur in `text`."""
        return [g.group for g in self.sensitive if any(t in text for t in g.terms)]

    def urgent_groups(self) -> frozenset[str]:
        return frozenset(g.group for g in self.sensitive if g.urgent)
