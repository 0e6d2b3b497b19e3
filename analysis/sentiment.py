"""Sentiment scores: SnowNLP's `sentiments`, 0 (negative) to 1 (positive), on the exact fast path.

`score_many(texts)` gives, bit for bit, what `SnowNLP(text).sentiments` gives (`analysis.snowfast`),
with one product rule: an empty or missing text scores 0.5 (SnowNLP raises on '').

The classifier is the retrained model at the configured `analysis.sentiment_model` path
(`yuqing train-sentiment`) when that file exists, SnowNLP's shipped model otherwise; the word
segmentation is always SnowNLP's.  A model file that appears, changes or goes away is noticed on the
next call (its size and mtime are checked); `reset()` forgets the loaded model outright.
Thread-safe; nothing is loaded (and snownlp is never imported) until the first call.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError

if TYPE_CHECKING:
    from analysis.snowfast_model import Model

SHIPPED = "snownlp shipped"
_lock = threading.Lock()
_state: tuple[tuple, Model] | None = None  # (model file state, model)


def model_path() -> Path:
    """Where a retrained model is looked for (the configured `analysis.sentiment_model`)."""
    from core.settings import get_settings

    settings = get_settings()
    return settings.resolve(settings.analysis.sentiment_model)


def _file_state(path: Path) -> tuple:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (str(path), None)
    return (str(path), st.st_size, st.st_mtime_ns)


def _model() -> Model:
    global _state
    path = model_path()
    state = _file_state(path)
    current = _state
    if current is not None and current[0] == state:
        return current[1]
    with _lock:
        if _state is None or _state[0] != state:
            from analysis import snowfast

            try:
                m = snowfast.load(path if state[1] is not None else None)
            except ValueError as exc:
                raise ConfigError(f"analysis.sentiment_model: {exc}") from exc
            _state = (state, m)
        return _state[1]


def score_many(texts: list[str | None]) -> list[float]:
    """SnowNLP's sentiment score for each text with the model in use; '' or None scores 0.5."""
    from analysis import snowfast

    todo = [i for i, t in enumerate(texts) if t]
    out = [0.5] * len(texts)
    if todo:
        scores = snowfast.score_many([texts[i] for i in todo], _model())
        for i, s in zip(todo, scores, strict=True):
            out[i] = float(s)
    return out


def model_in_use() -> str:
    """The retrained model's path, or "snownlp shipped"."""
    current = _state
    if current is not None and current[0] == _file_state(model_path()):
        return current[1].source
    path = model_path()
    return str(path.resolve()) if path.exists() else SHIPPED


def reset() -> None:
    """Forget the loaded model; the next call loads the model in use afresh."""
    global _state
    with _lock:
        _state = None
