"""Logistic regression on hashed n-gram features, fitted with L-BFGS in numpy.

The features of a text are its n-grams' TF-IDF weights over their bucket (`analysis.
ngram_features`), divided by the square root of the sum of the squared IDF of its n-gram
occurrences (for a text without a repeated n-gram that is its L2 norm; counting occurrences
keeps scoring a sum of lookups, with no sort). The loss is scikit-learn's: `C` times the
weighted log-loss plus half the squared weights; the bias is not penalised.

`fit` returns the weights and bias; `Design` holds a batch of texts in the sparse form both
fitting and scoring use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from analysis.ngram_features import hashed

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Design:
    """Texts as n-gram occurrences: occurrence k of text `rows[k]`, feature column `cols[k]`,
    value `values[k]`. `columns` maps a column back to its bucket."""

    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    values: Floats
    n: int
    width: int

    def dot(self, w: Floats) -> Floats:
        out = np.bincount(self.rows, weights=self.values * w[self.cols], minlength=self.n)
        return cast(Floats, out)

    def tdot(self, g: Floats) -> Floats:
        out = np.bincount(self.cols, weights=self.values * g[self.rows], minlength=self.width)
        return cast(Floats, out)


def idf_of(texts: Sequence[str], bits: int, orders: int) -> Floats:
    """Smoothed IDF per bucket over `texts`: ln((1 + n) / (1 + df)) + 1."""
    h = hashed(texts, bits, orders)
    pairs = np.unique(h.rows << bits | h.buckets)
    df = np.bincount(pairs & ((1 << bits) - 1), minlength=1 << bits)
    return cast(Floats, np.log((1.0 + h.n) / (1.0 + df)) + 1.0)


def design(texts: Sequence[str], idf: Floats, bits: int, orders: int) -> Design:
    """The texts' feature rows over every bucket."""
    h = hashed(texts, bits, orders)
    weight = idf[h.buckets]
    norm = np.sqrt(np.bincount(h.rows, weights=weight * weight, minlength=h.n))
    norm[norm == 0] = 1.0
    return Design(h.rows, h.buckets, weight / norm[h.rows], h.n, 1 << bits)


def compact(d: Design) -> tuple[Design, npt.NDArray[np.int64]]:
    """The design over the buckets it uses only, and those buckets (column i is bucket out[i])."""
    used, cols = np.unique(d.cols, return_inverse=True)
    return Design(d.rows, cols.astype(np.int64), d.values, d.n, len(used)), used


def stack(a: Design, b: Design) -> Design:
    """The rows of `a`, then those of `b` (same columns)."""
    return Design(
        np.concatenate((a.rows, b.rows + a.n)),
        np.concatenate((a.cols, b.cols)),
        np.concatenate((a.values, b.values)),
        a.n + b.n,
        a.width,
    )


def take(d: Design, keep: npt.NDArray[np.bool_]) -> Design:
    """The rows where `keep` holds, renumbered in order."""
    new_row = np.cumsum(keep) - 1
    sel = keep[d.rows]
    return Design(new_row[d.rows[sel]], d.cols[sel], d.values[sel], int(keep.sum()), d.width)


def _dot(a: Floats, b: Floats) -> float:
    """a . b by numpy's pairwise sum, not BLAS: the same bits whatever the number of threads,
    so a model is remade exactly."""
    return float(np.sum(a * b))


def sigmoid(z: Floats) -> Floats:
    out: Floats = 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for any z
    return out


def fit(
    d: Design,
    y: npt.NDArray[np.float64],
    sample_weight: Floats,
    *,
    C: float,
    max_iter: int = 1000,
    tol: float = 1e-7,
) -> tuple[Floats, float]:
    """Weights (one per column of `d`) and bias minimising
    C * sum(sample_weight * log-loss) + |w|^2 / 2."""

    def loss_grad(x: Floats) -> tuple[float, Floats]:
        w, b = x[:-1], x[-1]
        z = d.dot(w) + b
        # log(1 + exp(-z)) for y = 1, log(1 + exp(z)) for y = 0, without overflow
        signed = np.where(y > 0, -z, z)
        losses = np.logaddexp(0.0, signed)
        r = sample_weight * (sigmoid(z) - y)
        grad = np.empty_like(x)
        grad[:-1] = C * d.tdot(r) + w
        grad[-1] = C * r.sum()
        return C * _dot(sample_weight, losses) + 0.5 * _dot(w, w), grad

    x = lbfgs(loss_grad, np.zeros(d.width + 1), max_iter=max_iter, tol=tol)
    return x[:-1], float(x[-1])


def lbfgs(
    fg: Callable[[Floats], tuple[float, Floats]],
    x: Floats,
    *,
    memory: int = 10,
    max_iter: int = 1000,
    tol: float = 1e-7,
) -> Floats:
    """Minimise a smooth convex function from `x` (limited-memory BFGS with a backtracking
    line search); stops when an iteration lowers it by less than `tol` relatively."""
    f, g = fg(x)
    history: list[tuple[Floats, Floats, float]] = []
    for _ in range(max_iter):
        q = g.copy()
        alphas = []
        for s, yv, rho in reversed(history):
            a = rho * _dot(s, q)
            q -= a * yv
            alphas.append(a)
        if history:
            s, yv, _ = history[-1]
            q *= _dot(s, yv) / _dot(yv, yv)
        else:
            q /= max(1.0, float(np.abs(g).max()))
        for (s, yv, rho), a in zip(history, reversed(alphas), strict=True):
            q += s * (a - rho * _dot(yv, q))
        step = -q
        slope = _dot(g, step)
        if slope >= 0:  # not a descent direction: start the memory afresh
            history.clear()
            step, slope = -g, -_dot(g, g)
        t = 1.0
        while True:
            x_new = x + t * step
            f_new, g_new = fg(x_new)
            if f_new <= f + 1e-4 * t * slope or t < 1e-10:
                break
            t *= 0.5
        s, yv = x_new - x, g_new - g
        sy = _dot(s, yv)
        if sy > 1e-12:
            history.append((s, yv, 1.0 / sy))
            del history[:-memory]
        done = f - f_new <= tol * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if done:
            break
    return x
