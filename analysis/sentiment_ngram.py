"""The n-gram sentiment model: logistic regression over hashed character n-grams, 0..1.

A model file (numpy .npz, no pickles) holds the weight and the IDF of each of 2**bits hash
buckets, the bias, and `shift`, the log-odds of the decision threshold chosen on validation
data: the score is sigmoid(z - shift), so the threshold lands on 0.5 and the sentiment bands
(below 0.4 negative, 0.6 and up positive) sit around it. `meta` is a JSON text saying how the
model was made. Buckets, not n-grams: the file holds numbers and no text.

`NgramSentiment(model_path)` scores with the model at that path while the file exists, and with
the shipped model (`SHIPPED_MODEL`, trained on Weibo posts and reviews by
`analysis.sentiment_recipe`) otherwise; like `analysis.sentiment.Sentiment`, a file that
appears, changes or goes away is noticed on the next call. An empty or missing text scores 0.5.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.ngram_features import hashed
from analysis.sentiment import WatchedModel
from core.settings import CONFIG_DIR

FORMAT = "yuqing-ngram-sentiment/1"
SHIPPED_MODEL = CONFIG_DIR / "sentiment_weibo.npz"
SHIPPED = "shipped weibo model"


@dataclass
class NgramModel:
    """One model: per-bucket weights and IDF, the bias, and the threshold's log-odds."""

    bits: int
    orders: int
    weights: npt.NDArray[np.floating[Any]]
    idf: npt.NDArray[np.floating[Any]]
    bias: float
    shift: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        # what one occurrence of a bucket adds to the sum and to the squared norm
        idf = self.idf.astype(np.float64)
        self._add = idf * self.weights.astype(np.float64)
        self._norm = idf * idf

    def logits(self, texts: list[str]) -> npt.NDArray[np.float64]:
        """z = w . x + bias of each text, before the threshold's shift."""
        h = hashed(texts, self.bits, self.orders)
        total = np.bincount(h.rows, weights=self._add[h.buckets], minlength=h.n)
        norm = np.sqrt(np.bincount(h.rows, weights=self._norm[h.buckets], minlength=h.n))
        norm[norm == 0] = 1.0
        out: npt.NDArray[np.float64] = total / norm + self.bias
        return out

    def score_many(self, texts: list[str | None]) -> list[float]:
        """Each text's score, 0 (negative) to 1 (positive); '' or None scores 0.5."""
        todo = [i for i, t in enumerate(texts) if t]
        out = [0.5] * len(texts)
        if todo:
            z = self.logits([texts[i] or "" for i in todo]) - self.shift
            scores = 0.5 * (1.0 + np.tanh(0.5 * z))
            for i, s in zip(todo, scores.tolist(), strict=True):
                out[i] = s
        return out

    def save(self, dest: Path) -> None:
        """Write the model (compressed .npz) atomically to exactly `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.savez_compressed(
                    f,
                    format=np.array(FORMAT),
                    bits=np.array(self.bits),
                    orders=np.array(self.orders),
                    weights=self.weights.astype(np.float32),
                    idf=self.idf.astype(np.float16),
                    bias=np.array(self.bias),
                    shift=np.array(self.shift),
                    meta=np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)),
                )
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                tmp.unlink()


def load(path: Path) -> NgramModel:
    """The model in `path`; ValueError when the file is no such model."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not an n-gram sentiment model ({exc})") from exc
    if "format" not in arrays or str(arrays["format"]) != FORMAT:
        raise ValueError(f"{path}: not an n-gram sentiment model (no {FORMAT!r} inside)")
    try:
        bits = int(arrays["bits"])
        model = NgramModel(
            bits=bits,
            orders=int(arrays["orders"]),
            weights=arrays["weights"],
            idf=arrays["idf"],
            bias=float(arrays["bias"]),
            shift=float(arrays["shift"]),
            meta=json.loads(str(arrays["meta"])),
            source=str(path),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: a damaged n-gram sentiment model ({exc})") from exc
    if model.weights.shape != (1 << bits,) or model.idf.shape != (1 << bits,):
        raise ValueError(f"{path}: the weights do not match 2**{bits} buckets")
    return model


class NgramSentiment:
    """Scores with the model at `model_path` while it exists, the shipped one otherwise."""

    def __init__(self, model_path: Path | None = None, shipped: Path = SHIPPED_MODEL) -> None:
        self.model_path = model_path
        self.shipped = shipped
        self._watched: WatchedModel[NgramModel] = WatchedModel(
            model_path, self._load, "analysis.ngram_model"
        )

    def _load(self, path: Path | None) -> NgramModel:
        model = load(path or self.shipped)
        if path is None:
            model.source = SHIPPED
        return model

    def model(self) -> NgramModel:
        """The model in use now (loaded again when its file changed)."""
        return self._watched.get()

    def score_many(self, texts: list[str | None]) -> list[float]:
        """The score of each text with the model in use; '' or None scores 0.5."""
        if not any(texts):
            return [0.5] * len(texts)
        return self.model().score_many(texts)

    def model_in_use(self) -> str:
        """The trained model's path, or "shipped weibo model"."""
        return self._watched.in_use(SHIPPED)

    def reset(self) -> None:
        """Forget the loaded model; the next call loads the model in use afresh."""
        self._watched.reset()
