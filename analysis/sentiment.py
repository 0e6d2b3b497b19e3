"""Sentiment scores: SnowNLP's `sentiments`, 0 (negative) to 1 (positive), on the exact fast path.

`Sentiment(model_path).score_many(texts)` gives, bit for bit, what `SnowNLP(text).sentiments`
gives (`analysis.snowfast`), with one product rule: an empty or missing text scores 0.5
(SnowNLP raises on '').

The classifier is the retrained model at `model_path` (`yuqing train-sentiment` writes it) when
that file exists, SnowNLP's shipped model otherwise; the word segmentation is always SnowNLP's.
A model file that appears, changes or goes away is noticed on the next call (its size and
mtime are checked); `reset()` forgets the loaded model outright. Thread-safe; nothing is loaded
(and snownlp is never imported) until the first call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from core.errors import ConfigError

M = TypeVar("M")

if TYPE_CHECKING:
    from analysis.snowfast_model import Model

SHIPPED = "snownlp shipped"
FileState = tuple[str, int | None, int | None]


def file_state(path: Path | None) -> FileState:
    if path is None:
        return ("", None, None)
    try:
        st = path.stat()
    except FileNotFoundError:
        return (str(path), None, None)
    return (str(path), st.st_size, st.st_mtime_ns)


class WatchedModel(Generic[M]):
    """The model in the file at `path` while that file exists (`load(None)` gives the fallback
    otherwise), loaded again when the file appears, changes or goes away (its size and mtime
    are checked on each call). `setting` names the setting in load errors. Thread-safe."""

    def __init__(self, path: Path | None, load: Callable[[Path | None], M], setting: str) -> None:
        self.path = path
        self._load = load
        self._setting = setting
        self._lock = threading.Lock()
        self._state: tuple[FileState, M] | None = None

    def get(self) -> M:
        state = file_state(self.path)
        current = self._state
        if current is not None and current[0] == state:
            return current[1]
        with self._lock:
            if self._state is None or self._state[0] != state:
                path = self.path if state[1] is not None else None
                try:
                    model = self._load(path)
                except ValueError as exc:
                    raise ConfigError(f"{self._setting}: {exc}") from exc
                self._state = (state, model)
            return self._state[1]

    def in_use(self, fallback: str) -> str:
        """The file's path while it exists, `fallback` otherwise."""
        if self.path is None or not self.path.exists():
            return fallback
        return str(self.path.resolve())

    def reset(self) -> None:
        """Forget the loaded model; the next call loads the model in use afresh."""
        with self._lock:
            self._state = None


class Sentiment:
    """Scores with the model at `model_path` while it exists, SnowNLP's shipped one otherwise.
    `cache_dir` keeps the model's derived tables between processes."""

    def __init__(self, model_path: Path | None = None, cache_dir: Path | None = None) -> None:
        self.model_path = model_path
        self.cache_dir = cache_dir
        self._watched: WatchedModel[Model] = WatchedModel(
            model_path, self._load, "analysis.sentiment_model"
        )

    def _load(self, path: Path | None) -> Model:
        from analysis import snowfast

        return snowfast.load(path, cache_dir=self.cache_dir)

    def model(self) -> Model:
        """The model in use now (loaded again when its file changed)."""
        return self._watched.get()

    def score_many(self, texts: list[str | None]) -> list[float]:
        """SnowNLP's sentiment score of each text with the model in use; '' or None scores 0.5."""
        from analysis import snowfast

        todo = [i for i, t in enumerate(texts) if t]
        out = [0.5] * len(texts)
        if todo:
            scores = snowfast.score_many([texts[i] or "" for i in todo], self.model())
            for i, s in zip(todo, scores, strict=True):
                out[i] = float(s)
        return out

    def model_in_use(self) -> str:
        """The retrained model's path, or "snownlp shipped"."""
        return self._watched.in_use(SHIPPED)

    def reset(self) -> None:
        """Forget the loaded model; the next call loads the model in use afresh."""
        self._watched.reset()


_shipped = Sentiment()


def score_many(texts: list[str | None]) -> list[float]:
    """Scores with SnowNLP's shipped model (tests, benchmarks, one-off scripts)."""
    return _shipped.score_many(texts)
