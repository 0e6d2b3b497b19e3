"""A loaded model for `snowfast`: SnowNLP's segmentation tables and one sentiment classifier."""

from __future__ import annotations

from math import exp

from analysis.snowfast_tables import BayesTables
from analysis.snowfast_viterbi import SegTables


class Model:
    def __init__(self, seg: SegTables, bayes: BayesTables, source: str) -> None:
        self.seg = seg
        self.source = source  # the sentiment model file, or "snownlp shipped"
        self.key = bayes.get("key", "")  # the classifier cache's key (file, size, mtime)
        self.classes = list(bayes["classes"])
        self.priors = tuple(bayes["priors"])
        self.unknown = tuple(bayes["unknown"])
        # what the classifier adds per word; zeros for a stop word (SnowNLP's filter_stop drops
        # it; a sum is never -0.0 and x + 0.0 == x)
        self.lookup: dict[str, tuple[float, ...]] = bayes["lookup"]
        self.pos = self.classes.index("pos") if "pos" in self.classes else -1

    def score(self, tmp: list[float]) -> float:
        """SnowNLP's `Bayes.classify` from the per-class sums, then `Sentiment.classify`."""
        ret = -1
        prob: float = 0
        for i in range(len(tmp)):
            now: float = 0
            try:
                for t in tmp:
                    now += exp(t - tmp[i])
                now = 1 / now
            except OverflowError:
                now = 0
            if now > prob:
                ret, prob = i, now
        return prob if ret == self.pos and ret >= 0 else 1 - prob
