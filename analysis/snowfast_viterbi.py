"""SnowNLP's run segmentation (its 2nd-order Viterbi over tags b m e s) with back-pointers.

SnowNLP keeps, per position, one entry per state (previous tag, current tag) with its whole path,
listed current tag outer, previous tag inner, tags in the order b m e s.  A state keeps the first
predecessor with the highest `score + log_prob` (strict `>`); the result is the first state with
the highest score.  For a character the model has never seen, nothing is added and each state takes
the *last* predecessor listed (tag two back = 's').

Here a state index is cur * 4 + prev and the forward pass keeps scores only, in 16 locals (the code
is generated, unrolled).  The chosen path is recovered afterwards by redoing, for that path only,
SnowNLP's comparison over the 4 predecessors with the stored scores.  Where the log-probability
does not depend on the tag two back, max(v + L) == max(v) + L exactly (rounding is monotonic), so
the 4 states sharing a previous tag share one max; the back-pointer is still found by comparing
v + L, so ties created by rounding resolve as in SnowNLP.
"""

from __future__ import annotations


def _step(src: str, dst: str, ind: str) -> list:
    """One position: scores `src`0..15 -> `dst`0..15 (position in `i`)."""
    S = ", ".join(f"{src}{j}" for j in range(16))
    L = [
        "key = run[i - 2:i + 1]",
        "T = lp3.get(key)",
        "if T is None:",
        "    T = table3(key)",
        "lt = len(T)",
        "if lt == 16:",
        f"    happ(T); happ(({S}))",
        "    " + ", ".join(f"t{j}" for j in range(16)) + " = T",
    ]
    for p in range(4):
        L.append(f"    a = {src}{p * 4}")
        for pp in (1, 2, 3):
            L.append(f"    if {src}{p * 4 + pp} > a: a = {src}{p * 4 + pp}")
        for s in range(4):
            L.append(f"    {dst}{s * 4 + p} = a + t{p * 4 + s}")
    L += ["elif lt:", f"    happ(T); happ(({S}))"]
    for s in range(4):
        for p in range(4):
            L.append(f"    a = {src}{p * 4} + T[{p * 4 + s}]")
            for pp in (1, 2, 3):
                L.append(f"    x = {src}{p * 4 + pp} + T[{pp * 16 + p * 4 + s}]")
                L.append("    if x > a: a = x")
            L.append(f"    {dst}{s * 4 + p} = a")
    L += ["else:", "    happ(None); happ(None)"]
    L += [f"    {dst}{j} = {src}{(j % 4) * 4 + 3}" for j in range(16)]
    return L


def _final(src: str) -> list:
    """Return the first state with the highest score, as SnowNLP's max(), and the history."""
    L = [f"f = 0; a = {src}0"]
    L += [f"if {src}{j} > a: a = {src}{j}; f = {j}" for j in range(1, 16)]
    return L + ["return f, hist"]


def _generate():
    L = [
        "def forward(run, n, found, lp3, table3, table0, table1):",
        "    c = run[0]",
        "    if c in found:",
        "        L = table0(c)",
    ]
    L += [f"        u{s} = 0.0 + L[{s}]" for s in range(4)]
    L += [
        "    else:",
        "        u0 = u1 = u2 = u3 = 0.0",
        "    if run[1] in found:",
        "        L = table1(run[:2])",
    ]
    L += [f"        v{s * 4 + p} = u{p} + L[{p * 4 + s}]" for s in range(4) for p in range(4)]
    L += ["    else:"]
    L += [f"        v{s * 4 + p} = u{p}" for s in range(4) for p in range(4)]
    L += ["    hist = []", "    happ = hist.append", "    i = 2", "    while i < n:"]
    # unrolled twice so that the scores alternate between v* and w* without copying
    L += ["        " + x for x in _step("v", "w", "i")]
    L += ["        i += 1", "        if i == n:"]
    L += ["            " + x for x in _final("w")]
    L += ["        " + x for x in _step("w", "v", "i")]
    L += ["        i += 1"]
    L += ["    " + x for x in _final("v")]
    ns: dict = {}
    exec("\n".join(L), ns)
    return ns["forward"]


_forward = _generate()


def run_words(m, run: str) -> list:
    """The words SnowNLP's `seg.single_seg(run)` returns for a run of U+4E00..U+9FA5 characters."""
    n = len(run)
    if n == 1:
        return [run]  # whatever the tag, SnowNLP's word cutting yields the character
    f, hist = _forward(run, n, m.found, m.lp3, m.table3, m.table0, m.table1)
    tags = [0] * n
    s = tags[n - 1] = f >> 2
    p = tags[n - 2] = f & 3
    for i in range(n - 1, 1, -1):
        T = hist[2 * i - 4]
        if T is None:  # unseen character: SnowNLP keeps the last predecessor listed
            best = 3
        else:
            vp = hist[2 * i - 3]
            base = p * 4
            best = 0
            if len(T) == 16:
                lp = T[base + s]
                a = vp[base] + lp
                x = vp[base + 1] + lp
                if x > a:
                    a, best = x, 1
                x = vp[base + 2] + lp
                if x > a:
                    a, best = x, 2
                x = vp[base + 3] + lp
                if x > a:
                    best = 3
            else:
                j = base + s
                a = vp[base] + T[j]
                x = vp[base + 1] + T[16 + j]
                if x > a:
                    a, best = x, 1
                x = vp[base + 2] + T[32 + j]
                if x > a:
                    a, best = x, 2
                x = vp[base + 3] + T[48 + j]
                if x > a:
                    best = 3
        tags[i - 2] = best
        p, s = best, p
    # SnowNLP's cutting: a word starts at a 'b' or 's' tag and after an 'e' tag
    words = []
    start = 0
    prev = tags[0]
    for i in range(1, n):
        t = tags[i]
        if t == 0 or t == 3 or prev == 2:
            words.append(run[start:i])
            start = i
        prev = t
    words.append(run[start:])
    return words
