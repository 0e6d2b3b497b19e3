"""SnowNLP's segmentation model as lazily built log-probability tables (see `snowfast`).

Each log-probability is `log((uni + bi) + tri)` exactly as SnowNLP's `log_prob` computes it, from
the terms precomputed in `snowfast_tables`; an absent term is 0 and `x + 0.0 == x`, so the sums
are the same floats.  Tables are cached per character pair/triple (bounded).
"""

from __future__ import annotations

from array import array
from math import log

_INF = float("-inf")
_MAX_CACHE = 100_000  # lp3 + s16 entries (~1-2 kB each)


class Packed:
    """Sparse table: fixed-width key -> [(tag code, term)].

    Keys are sorted and stored column by column; a lookup narrows the span of its first
    character with single-character searches in the next columns.
    """

    def __init__(self, width: int, packed) -> None:
        self.w = width
        if packed is None:
            packed = ([""] * (width - 1), array("I", [0]).tobytes(), b"", b"", {})
        cols, off, codes, vals, self.index = packed
        self.col1 = cols[0] if width > 1 else ""
        self.col2 = cols[1] if width > 2 else ""
        self.off = array("I")
        self.off.frombytes(off)
        self.codes = codes
        self.vals = array("d")
        self.vals.frombytes(vals)

    def get(self, key: str):
        span = self.index.get(key[0])
        if span is None:
            return ()
        i, hi = span
        w = self.w
        if w > 1:
            i = self.col1.find(key[1], i, hi)
            if i < 0:
                return ()
            if w > 2:
                hi = self.col1.rfind(key[1], i, hi) + 1
                i = self.col2.find(key[2], i, hi)
                if i < 0:
                    return ()
        a, b = self.off[i], self.off[i + 1]
        codes, vals = self.codes, self.vals
        return [(codes[j], vals[j]) for j in range(a, b)]


class Model:
    def __init__(self, data: dict) -> None:
        self.uterm = data["uterm"]
        self.found = frozenset(data["found"])
        self.bi = {w: Packed(w, data.get(f"bi{w}")) for w in (1, 2)}
        self.tri = {w: Packed(w, data.get(f"tri{w}")) for w in (1, 2, 3)}
        self.classes = data["classes"]
        self.priors = data["priors"]
        self.unknown = tuple(data["unknown"])
        self.word_logs = data["word_logs"]
        self.stop = frozenset(data["stop"])
        self.lookup = dict(self.word_logs)  # what the classifier adds per word; None: stop word
        for w in self.stop:
            self.lookup[w] = None
        # 3 chars -> 16-tuple (no trigram term), 64-tuple, or () when the 3rd char is unseen
        self.lp3: dict[str, tuple] = {}
        self.s16: dict[str, tuple] = {}  # 2 chars -> (sums uni + bi, their logs)
        self.t0: dict[str, list] = {}
        self.t1: dict[str, list] = {}
        self.zero4 = (0.0, 0.0, 0.0, 0.0)

    def _trim(self) -> None:
        if len(self.lp3) + len(self.s16) > _MAX_CACHE:
            for d in (self.lp3, self.s16, self.t0, self.t1):
                d.clear()

    def sums16(self, c2c3: str) -> tuple:
        """(uni + bi) for (tag of c2) * 4 + (tag of c3), and the log-probabilities of those."""
        r = self.s16.get(c2c3)
        if r is None:
            u = self.uterm.get(c2c3[1], self.zero4)
            s = list(u) * 4  # index (tag c2) * 4 + (tag c3) -> u[tag c3]
            for code, v in self.bi[2].get(c2c3):
                s[code] = s[code] + v
            r = (s, tuple([log(x) if x else _INF for x in s]))
            self._trim()
            self.s16[c2c3] = r
        return r

    def table3(self, key: str) -> tuple:
        """log_prob at (tag c1) * 16 + (tag c2) * 4 + (tag c3); a 16-tuple when c1 is irrelevant.

        () when SnowNLP treats c3 as not found (no tag has a non-zero unigram count).
        """
        if key[2] not in self.found:
            self.lp3[key] = ()
            return ()
        s, lp = self.sums16(key[1:])
        entries = self.tri[3].get(key)
        if not entries:
            t = lp  # uni + bi + 0.0 == uni + bi
        else:
            full = list(lp * 4)
            for code, v in entries:
                x = s[code & 15] + v
                full[code] = log(x) if x else _INF
            t = tuple(full)
        self._trim()
        self.lp3[key] = t
        return t

    def table0(self, c: str) -> list:
        """log_prob((BOS, BOS, (c, s))) for s."""
        r = self.t0.get(c)
        if r is None:
            x = list(self.uterm.get(c, self.zero4))
            for code, v in self.bi[1].get(c):
                x[code] = x[code] + v
            for code, v in self.tri[1].get(c):
                x[code] = x[code] + v
            r = self.t0[c] = [log(y) if y else _INF for y in x]
        return r

    def table1(self, c0c1: str) -> list:
        """log_prob((BOS, (c0, p), (c1, s))) at p * 4 + s."""
        r = self.t1.get(c0c1)
        if r is None:
            x = list(self.sums16(c0c1)[0])
            for code, v in self.tri[2].get(c0c1):
                x[code] = x[code] + v
            r = self.t1[c0c1] = [log(y) if y else _INF for y in x]
        return r
