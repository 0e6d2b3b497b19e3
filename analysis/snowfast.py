"""Exact fast path for SnowNLP's sentiment score: `score_many(texts)` == `[SnowNLP(t).sentiments]`.

SnowNLP's score is: split the text into runs of U+4E00..U+9FA5 characters and other pieces, tag each
run with its character-based generative model (a 2nd-order Viterbi over the tags b/m/e/s that
copies whole paths), cut words from the tags, drop stop words, then Naive Bayes.

Here the Viterbi keeps 16 scores (previous tag, current tag) per position instead of paths and
back-tracks the best one (`snowfast_viterbi`); a run seen twice in one call is segmented once.
Every floating-point value is produced by the same operations in the same order as SnowNLP:

* each log-probability is `log((uni + bi) + tri)` with the three terms precomputed exactly as
  SnowNLP computes them (see `snowfast_tables`); a missing term is 0, and `x + 0.0 == x`;
* path scores are accumulated left to right, `score + logprob`;
* SnowNLP visits states in a fixed order (current tag outer, previous tag inner, tags b, m, e, s);
  a state keeps its first best predecessor (strict `>`), the final state is the first maximum;
* for a character the model has never seen, SnowNLP adds nothing and each new state takes the
  *last* predecessor listed (previous-previous tag 's'), not the best one - reproduced here;
* the Bayes step sums the same per-word logs in the same order and combines them with the same
  `exp`/`1/x` steps (including the OverflowError fallback).

Empty text: `SnowNLP('')` raises ZeroDivisionError (in its BM25 set-up), so `score_many` raises
ZeroDivisionError when a text is empty.  Whitespace-only and punctuation-only texts do not raise.

Importing this module does not import snownlp; the tables come from a cache (`snowfast_tables`).
"""

from __future__ import annotations

import re
import threading
from math import exp

from analysis import snowfast_tables
from analysis.snowfast_model import Model
from analysis.snowfast_viterbi import run_words

_RE_ZH = re.compile("([\u4e00-\u9fa5]+)")
_lock = threading.Lock()
_model: Model | None = None


def _words(m: Model, text: str, memo: dict) -> list:
    """SnowNLP's `seg.seg(text)`: split() of the other pieces, segmentation of the Chinese runs.

    `re.split` with a capture group alternates other piece, run, other piece, ...; runs never
    contain whitespace and `strip()`/`split()` share one definition of whitespace, so SnowNLP's
    strip / match / split / strip steps reduce to this.
    """
    words: list = []
    parts = _RE_ZH.split(text)
    words += parts[0].split()
    for i in range(1, len(parts), 2):
        run = parts[i]
        w = memo.get(run)
        if w is None:
            w = memo[run] = run_words(m, run)
        words += w
        words += parts[i + 1].split()
    return words


def _classify(m: Model, words: list) -> float:
    """SnowNLP's `Bayes.classify` after `filter_stop`: same sums in the same order."""
    get, unknown = m.lookup.get, m.unknown  # lookup: word -> per-class log, stop word -> None
    if len(m.classes) == 2:
        t0, t1 = m.priors
        for word in words:
            lw = get(word, unknown)
            if lw is not None:
                t0 += lw[0]
                t1 += lw[1]
        tmp = [t0, t1]
    else:
        tmp = list(m.priors)
        for word in words:
            lw = get(word, unknown)
            if lw is not None:
                for i in range(len(tmp)):
                    tmp[i] += lw[i]
    ret, prob = 0, 0
    for i, k in enumerate(m.classes):
        now = 0
        try:
            for t in tmp:
                now += exp(t - tmp[i])
            now = 1 / now
        except OverflowError:
            now = 0
        if now > prob:
            ret, prob = k, now
    return prob if ret == "pos" else 1 - prob


def model() -> Model:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model(snowfast_tables.load())
    return _model


def clear_caches() -> None:
    """Forget the log-probability tables derived so far (they rebuild lazily; for benchmarks)."""
    m = model()
    for d in (m.lp3, m.s16, m.t0, m.t1):
        d.clear()


def score_many(texts: list[str]) -> list[float]:
    """SnowNLP(t).sentiments for each text, bit-identical; raises ZeroDivisionError on ''."""
    m = model()
    memo: dict = {}
    out = []
    for text in texts:
        if not text:
            raise ZeroDivisionError("SnowNLP('') raises ZeroDivisionError; empty text has no score")
        out.append(_classify(m, _words(m, text, memo)))
    return out
