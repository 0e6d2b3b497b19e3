"""Sentiment scores: SnowNLP's `sentiments`, 0 (negative) to 1 (positive)."""

from __future__ import annotations

import threading

_lock = threading.Lock()


def score_many(texts: list[str]) -> list[float]:
    """SnowNLP's sentiment score for each text; an empty text scores SnowNLP's prior."""
    with _lock:  # SnowNLP's classifier keeps module-level state
        from snownlp import SnowNLP

        return [float(SnowNLP(text).sentiments) if text else 0.5 for text in texts]
