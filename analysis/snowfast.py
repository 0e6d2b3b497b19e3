"""Exact fast path for SnowNLP's sentiment score: `score_many(texts)` == `[SnowNLP(t).sentiments]`.

SnowNLP's score is: split the text into runs of U+4E00..U+9FA5 characters and other pieces, tag each
run with its character-based generative model (a 2nd-order Viterbi over the tags b/m/e/s that
copies whole paths), cut words from the tags, drop stop words, then Naive Bayes.

Here all distinct runs of a batch are segmented together (`snowfast_viterbi`: numpy, position by
position, scores instead of paths, then one back-tracking pass), reading log-probabilities
precomputed from SnowNLP's model (`snowfast_tables`); other pieces and runs are split once per
distinct value.  Every floating-point value is produced by the same operations in the
same order as SnowNLP:

* each log-probability is `log((uni + bi) + tri)` computed with Python floats when the tables are
  built; a missing term is 0, and `x + 0.0 == x`;
* path scores are accumulated left to right, `score + logprob` (IEEE float64 additions in numpy);
* SnowNLP visits states in a fixed order (current tag outer, previous tag inner, tags b, m, e, s);
  a state keeps its first best predecessor (strict `>`), the final state is the first maximum;
* for a character the model has never seen, SnowNLP adds nothing and each new state takes the
  *last* predecessor listed (previous-previous tag 's'), not the best one - reproduced here;
* the Bayes step sums the same per-word logs in the same order (a stop word adds 0.0, which
  changes no sum) and combines them with the same `exp`/`1/x` steps (including the
  OverflowError fallback).

Empty text: `SnowNLP('')` raises ZeroDivisionError (in its BM25 set-up), so `score_many` raises
ZeroDivisionError when a text is empty.  Whitespace-only and punctuation-only texts do not raise.

The classifier can be SnowNLP's shipped one or a retrained model file in SnowNLP's format
(`load(path)`); the segmentation is always SnowNLP's.  Importing this module does not import
snownlp (nor numpy); the tables come from a cache (`snowfast_tables`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, repeat
from math import exp
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from analysis.snowfast_model import Model
    from analysis.snowfast_viterbi import SegTables

SHIPPED = "snownlp shipped"
_RE_ZH = re.compile("([\u4e00-\u9fa5]+)")
_lock = threading.Lock()
_seg: SegTables | None = None
_models: dict[str, Model] = {}
_T = TypeVar("_T")


def seg_tables(cache_dir: Path | None = None) -> SegTables:
    """SnowNLP's segmentation tables, mapped from `cache_dir` (built there when missing; the
    system's temporary directory when None). Loaded once per process."""
    global _seg
    if _seg is None:
        with _lock:
            if _seg is None:
                from analysis import snowfast_tables
                from analysis.snowfast_viterbi import SegTables

                _seg = SegTables(snowfast_tables.load_seg(directory=cache_dir))
    return _seg


def load(
    model_file: str | Path | None = None, cache: bool = True, cache_dir: Path | None = None
) -> Model:
    """The model with the classifier of `model_file` (SnowNLP's shipped one when None).

    Loaded once per file; a file changed since (size or mtime) is loaded again.  With `cache`, the
    classifier's derived tables are kept in `cache_dir` for the next process (~0.1 s saved);
    pass False for a one-off file.  Raises ValueError when the file is not a SnowNLP sentiment
    model, OSError when it cannot be read.
    """
    from analysis import snowfast_tables
    from analysis.snowfast_model import Model

    seg = seg_tables(cache_dir)
    path = snowfast_tables.shipped_model() if model_file is None else Path(model_file)
    path = path.resolve()
    name = SHIPPED if model_file is None else str(path)
    key = snowfast_tables.bayes_key(path)
    m = _models.get(name)
    if m is None or m.key != key:
        with _lock:
            m = _models.get(name)
            if m is None or m.key != key:
                if cache:
                    bayes = snowfast_tables.load_bayes(path, key, cache_dir)
                else:
                    bayes = {**snowfast_tables.build_bayes(path), "key": key}
                m = Model(seg, bayes, name)
                _models[name] = m
    return m


def model() -> Model:
    """The model with SnowNLP's shipped classifier."""
    m = _models.get(SHIPPED)
    return m if m is not None else load(None)


def clear_caches() -> None:
    """Forget every loaded table (they are mapped again from the cache on next use)."""
    global _seg
    with _lock:
        _seg = None
        _models.clear()


def _split(texts: list[str]) -> tuple[list[list[str]], list[str], list[str]]:
    """Each text's pieces (`re.split` alternates other piece, run, other piece, ...), and the
    distinct runs and other pieces."""
    splits = list(map(_RE_ZH.split, texts))
    runs: list[str] = []
    others: list[str] = []
    for p in dict.fromkeys(chain.from_iterable(splits)):
        (runs if p and "\u4e00" <= p[0] <= "\u9fa5" else others).append(p)
    return splits, runs, others


def _piece_words(
    seg: SegTables, runs: list[str], others: list[str], f: Callable[[list[str]], list[_T]]
) -> dict[str, list[_T]]:
    """piece -> f(its words) for the distinct runs and other pieces; f maps a list item by item.

    Other pieces: `split()`.  `re.split` leaves runs between other pieces; runs never contain
    whitespace and `strip()`/`split()` share one definition of whitespace, so SnowNLP's
    strip / match / split / strip steps in `seg.seg` reduce to this.
    """
    from analysis.snowfast_viterbi import segment

    words, start, stop = segment(seg, runs)
    vals = f(words)
    out = dict(zip(runs, map(vals.__getitem__, map(slice, start, stop)), strict=True))
    for p in others:
        out[p] = f(p.split())
    return out


def words_many(texts: list[str]) -> list[list[str]]:
    """SnowNLP's `seg.seg(text)` for each text."""
    splits, runs, others = _split(texts)
    pw = _piece_words(seg_tables(), runs, others, list)
    return [[w for p in parts for w in pw[p]] for parts in splits]


def score_many(texts: list[str], m: Model | None = None) -> list[float]:
    """SnowNLP(t).sentiments for each text, bit-identical; raises ZeroDivisionError on ''.

    With `m` (from `load(path)`): SnowNLP's `Sentiment.classify` with that model's classifier.
    """
    if m is None:
        m = model()
    if not all(texts):
        raise ZeroDivisionError("SnowNLP('') raises ZeroDivisionError; empty text has no score")
    splits, runs, others = _split(texts)
    get, unknown = m.lookup.get, repeat(m.unknown)
    # what the classifier adds for each word (zeros for stop words)
    pl = _piece_words(m.seg, runs, others, lambda ws: list(map(get, ws, unknown)))
    if len(m.classes) != 2:
        return [m.score(_sums(m.priors, (lw for p in parts for lw in pl[p]))) for parts in splits]
    # Bayes.classify for two classes, inlined: `now = 0; now += exp(t - tmp[k])` for each class
    # (exp(0.0) == 1.0 and 0 + x == x), `now = 1 / now`, 0 on OverflowError; the first class
    # with the highest `now` > 0 wins; Sentiment.classify: prob if 'pos' else 1 - prob.
    out = []
    p0, p1 = m.priors
    pos0, pos1 = m.classes[0] == "pos", m.classes[1] == "pos"
    for parts in splits:
        t0, t1 = p0, p1
        for p in parts:
            for a, b in pl[p]:
                t0 += a
                t1 += b
        try:
            n0 = 1 / (1.0 + exp(t1 - t0))
        except OverflowError:
            n0 = 0
        try:
            n1 = 1 / (exp(t0 - t1) + 1.0)
        except OverflowError:
            n1 = 0
        if n1 > n0:
            out.append(n1 if pos1 else 1 - n1)
        elif n0 > 0:
            out.append(n0 if pos0 else 1 - n0)
        else:
            out.append(1)  # no class: ret stays 0, SnowNLP returns 1 - 0
    return out


def _sums(priors: Iterable[float], lws: Iterable[Sequence[float]]) -> list[float]:
    tmp = list(priors)
    for lw in lws:
        for j in range(len(tmp)):
            tmp[j] += lw[j]
    return tmp
