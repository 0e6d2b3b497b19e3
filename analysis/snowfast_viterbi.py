"""SnowNLP's run segmentation (a 2nd-order Viterbi over the tags b m e s), for many runs at once.

SnowNLP keeps, per position, one entry per state (previous tag, current tag) with its whole path,
listed current tag outer, previous tag inner, tags in the order b m e s.  A state keeps the first
predecessor with the highest `score + log_prob` (strict `>`); the result is the first state with
the highest score.  For a character the model has never seen, nothing is added and each state takes
the *last* predecessor listed (tag two back = 's').

Here the runs of a batch are sorted by length (longest first) and position t of every run that is
that long is processed together with numpy, scores only (16 per run and position, kept for all
positions).  A new state's score is the max over the tag two back of `score + log_prob`, the same
IEEE additions as SnowNLP; where log_prob does not depend on the tag two back (no triple term for
that tag pair: ~98% of the cells), max(v + L) == max(v) + L exactly, because rounding is monotonic,
so 4 maxima and 16 additions do; the few "cells" with a triple term take their 4 candidates.
Back-tracking then runs for all runs together from the end and, for the one chosen state per
position, recomputes SnowNLP's comparison of its 4 candidates `score + log_prob` (the first
maximum, as SnowNLP's strict `>` keeps the first best, so ties created by rounding resolve the
same way).  Words are cut from the tags.  The log-probabilities are read from precomputed tables
(`snowfast_tables`): no logarithm is computed here.
"""

from __future__ import annotations

import numpy as np

from analysis.snowfast_tables import LO, NCH

MAX_CHARS = 32_768  # characters per lockstep batch (~0.3 kB of work arrays per character)


class SegTables:
    """The segmentation tables as arrays (see `snowfast_tables`)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.found = arrays["found"]
        self.clog = arrays["clog"]
        self.first = arrays["first"]
        self.sparse = {
            name: (
                arrays[f"{name}_keys"],
                arrays[f"{name}_offsets"],
                arrays[f"{name}_codes"].astype(np.intp),
                arrays[f"{name}_vals"],
            )
            for name in ("pair", "tri2", "tri3")
        }

    def entries(self, name: str, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row of q, tag code, log) for every entry of every key in q."""
        keys, offsets, codes, vals = self.sparse[name]
        if len(q) > 512:  # sorted needles are searched ~3x faster
            order = np.argsort(q)
            pos = np.empty_like(order)
            pos[order] = np.searchsorted(keys, q[order])
        else:
            pos = np.searchsorted(keys, q)
        np.minimum(pos, len(keys) - 1, out=pos)
        rows = np.flatnonzero(keys[pos] == q)
        pos = pos[rows]
        lo = offsets[pos]
        cnt = offsets[pos + 1] - lo
        if len(cnt) and cnt.max() > 1:
            rows = np.repeat(rows, cnt)
            ends = np.cumsum(cnt)
            lo = np.arange(int(ends[-1])) - np.repeat(ends - cnt - lo, cnt)
        return rows, codes[lo], vals[lo]


def segment(tables: SegTables, runs: list[str]) -> tuple[list[str], list[int], list[int]]:
    """The words SnowNLP's `seg.single_seg(run)` returns for each run of U+4E00..U+9FA5.

    Returns (words, start, stop): the words of `runs[i]` are `words[start[i]:stop[i]]`.
    """
    lens = np.fromiter(map(len, runs), dtype=np.intp, count=len(runs))
    start = np.zeros(len(runs), dtype=np.intp)
    stop = np.zeros(len(runs), dtype=np.intp)
    single = np.flatnonzero(lens == 1)  # whatever its tag, one character is one word
    words = [runs[i] for i in single.tolist()]
    start[single] = np.arange(len(single))
    stop[single] = start[single] + 1
    multi = np.flatnonzero(lens > 1)
    multi = multi[np.argsort(-lens[multi], kind="stable")]
    ends = np.cumsum(lens[multi])
    lo = 0
    while lo < len(multi):
        # the next group: up to MAX_CHARS characters, at least one run
        hi = max(
            lo + 1, int(np.searchsorted(ends, ends[lo] - lens[multi[lo]] + MAX_CHARS, "right"))
        )
        group = multi[lo:hi]
        cut, first = _lockstep(tables, [runs[i] for i in group.tolist()])
        at = np.asarray(first) + len(words)
        words += cut
        start[group] = at[:-1]
        stop[group] = at[1:]
        lo = hi
    return words, start.tolist(), stop.tolist()


def _lockstep(T: SegTables, runs: list[str]) -> tuple[list[str], list[int]]:
    """Segment runs of length >= 2 sorted longest first: (words, index of each run's first word)."""
    R = len(runs)
    lens = np.fromiter(map(len, runs), dtype=np.intp, count=R)
    text = "".join(runs)
    chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    codes = chars.astype(np.intp) - LO
    starts = np.zeros(R + 1, dtype=np.intp)
    np.cumsum(lens, out=starts[1:])
    n = int(lens[0])
    # k[t]: runs longer than t (a prefix of the sorted runs); rows of position t: off[t]..off[t+1]
    k = np.zeros(n + 1, dtype=np.intp)
    k[:n] = np.searchsorted(-lens, -np.arange(n), side="left")
    off = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(k[:n], out=off[1:])
    P = int(off[-1])
    idx = starts[np.arange(P) - np.repeat(off[:-1], k[:n])] + np.repeat(np.arange(n), k[:n])
    c = codes[idx]  # time-major: the characters at position 0 of all runs, then 1, ...
    found = T.found[c]
    # scores of the 16 states (previous tag * 4 + tag) at every position, time-major
    V = np.empty((P, 4, 4))

    # position 0: 0.0 + log_prob(BOS, BOS, c); an unseen character adds nothing
    c0 = c[:R]
    u = 0.0 + T.first[c0]
    u[~found[:R]] = 0.0
    # position 1: score u[p] + log_prob(BOS, (c0, p), (c1, s)) for state (p, s)
    c1 = c[R : 2 * R]
    lp1 = np.tile(T.clog[c1], (1, 4))
    for name in ("pair", "tri2"):
        rows, codes1, vals = T.entries(name, c0 * NCH + c1)
        lp1[rows, codes1] = vals
    np.add(u[:, :, None], lp1.reshape(R, 4, 4), out=V[R : 2 * R])
    miss = np.flatnonzero(~found[R : 2 * R])
    if len(miss):
        V[R + miss] = u[miss][:, :, None]

    if n > 2:
        base = int(off[2])
        P2 = P - base
        i2 = idx[base:]
        c3 = c[base:]
        # log_prob at (previous tag, tag) where it does not depend on the tag two back: the
        # character's uni logs overlaid with the pair's
        lp = np.tile(T.clog[c3], (1, 4))
        c2 = codes[i2 - 1]
        rows, codes2, vals = T.entries("pair", c2 * NCH + c3)
        lp[rows, codes2] = vals
        # "cells" (position, previous tag, tag) where a triple's log replaces it for some tag two
        # back: the 4 log_probs (one per tag two back) of each cell
        rows, codes3, vals = T.entries("tri3", (codes[i2 - 2] * NCH + c2) * NCH + c3)
        cells, inv = np.unique(rows * 16 + (codes3 & 15), return_inverse=True)
        cell_lp = np.repeat(lp.reshape(-1)[cells][:, None], 4, axis=1)
        cell_lp[inv, codes3 >> 4] = vals
        cell_row = cells >> 4
        cell_bs = cells & 15
        cell_span = np.searchsorted(cell_row, off[2:] - base).tolist()
        lp = lp.reshape(P2, 4, 4)
        unseen = np.flatnonzero(~found[base:])
        unseen_span = np.searchsorted(unseen, off[2:] - base).tolist()
        for t in range(2, n):
            kt = int(k[t])
            o = int(off[t])
            prev = V[int(off[t - 1]) : int(off[t - 1]) + kt]  # (tag two back, previous tag)
            # max over the tag two back of score + log_prob; where log_prob does not depend on
            # it, max(v + L) == max(v) + L exactly (rounding is monotonic)
            np.add(prev.max(axis=1)[:, :, None], lp[o - base : o - base + kt], out=V[o : o + kt])
            lo, hi = cell_span[t - 2], cell_span[t - 1]
            if lo < hi:
                r = cell_row[lo:hi] + (base - o)
                b = cell_bs[lo:hi] >> 2
                cand = prev[r, :, b] + cell_lp[lo:hi]
                V.reshape(P, 16)[o + r, cell_bs[lo:hi]] = cand.max(axis=1)
            lo, hi = unseen_span[t - 2], unseen_span[t - 1]
            if lo < hi:  # SnowNLP: score of the state whose tag two back is 's', nothing added
                r = unseen[lo:hi] + (base - o)
                V[o + r] = prev[r, 3, :, None]

    # the final state: SnowNLP's first maximum in its order (tag outer, previous tag inner)
    last_row = off[lens - 1] + np.arange(R)
    last = V[last_row].transpose(0, 2, 1).reshape(R, 16).argmax(axis=1)

    # back-tracking, all runs together from the longest's end; the predecessor of the chosen state
    # is the first (strict >) best of its 4 candidates, as in SnowNLP, recomputed here
    Vf = V.reshape(P, 16)
    tags = np.empty(P, dtype=np.int8)
    cur = np.zeros(R, dtype=np.intp)
    prv = np.zeros(R, dtype=np.intp)
    a4 = np.arange(4) * 4
    for t in range(n - 1, 0, -1):
        kt = int(k[t])
        kn = int(k[t + 1])
        if kn < kt:
            cur[kn:kt] = last[kn:kt] >> 2
            prv[kn:kt] = last[kn:kt] & 3
        o = int(off[t])
        tags[o : o + kt] = cur[:kt]
        if t >= 2:
            p, s = prv[:kt], cur[:kt]
            bs = p * 4 + s
            ar = np.arange(o - base, o - base + kt)
            lps = np.repeat(lp.reshape(P2, 16)[ar, bs][:, None], 4, axis=1)
            lo, hi = cell_span[t - 2], cell_span[t - 1]
            if lo < hi:
                hit = np.searchsorted(cells[lo:hi], ar * 16 + bs) + lo
                np.minimum(hit, len(cells) - 1, out=hit)
                ok = np.flatnonzero(cells[hit] == ar * 16 + bs)
                lps[ok] = cell_lp[hit[ok]]
            cand = Vf[int(off[t - 1]) + np.arange(kt)[:, None], a4 + p[:, None]] + lps
            a = cand.argmax(axis=1)  # the first maximum, as SnowNLP's strict >
            lo, hi = unseen_span[t - 2], unseen_span[t - 1]
            if lo < hi:
                a[unseen[lo:hi] + (base - o)] = 3
            cur[:kt] = p
            prv[:kt] = a
        else:
            tags[:kt] = prv[:kt]

    # SnowNLP's cutting: a word starts at a 'b' or 's' tag and after an 'e' tag; the words are
    # cut by inserting a NUL before each and splitting once
    by_run = np.empty(P, dtype=np.int8)
    by_run[idx] = tags
    cut = (by_run == 0) | (by_run == 3)
    cut[1:] |= by_run[:-1] == 2
    cut[starts[:-1]] = True
    nth = np.cumsum(cut)
    joined = np.zeros(P + int(nth[-1]), dtype=np.uint32)
    joined[np.arange(P) + nth] = chars
    words = joined[1:].tobytes().decode("utf-32-le").split("\0")
    first_word = (nth[starts[:-1]] - 1).tolist()
    first_word.append(len(words))
    return words, first_word
