"""Cached tables for `snowfast`: every log-probability SnowNLP's segmenter can ask for, and the
per-word logs of a sentiment model.

Nothing here imports `snownlp`; the tables are derived from the model files of the installed
package (never shipped with this project) and from a retrained sentiment model file.

Segmentation (one binary file, memory-mapped on load).  SnowNLP's `log_prob(s1, s2, s3)` is
`log((uni + bi) + tri)`.  For a character c3 only four values of `uni` exist, for a pair (c2, c3)
only the 16 tag combinations of `bi`, for a triple only 64; most are absent (0).  So the log of
every term combination that can occur is computed here once, with the same Python float operations
in the same order as SnowNLP (`x + 0.0 == x`, so an absent term changes nothing):

* ``clog[c3, t3]``           log(uni)                   (no bi/tri term for that tag pair/triple)
* pair entries (c2, c3)      log(uni + bi)              at code t2*4 + t3
* ``tri3`` entries           log((uni + bi) + tri)      at code t1*16 + t2*4 + t3
* ``first[c, t]``            position 0: log((uni + bi(BOS, c)) + tri(BOS, BOS, c))
* ``tri2`` entries           position 1: log((uni + bi) + tri(BOS, c0, c1)) at code t0*4 + t1

A log-probability table for a position is `clog` overlaid with the pair entries, overlaid with the
triple entries (`snowfast_viterbi`).  `-inf` stands for SnowNLP's `uni + bi + tri == 0`.  Sparse
tables are stored as sorted unique int64 keys (characters as code point - 0x4E00, combined in
base `NCH`), `offsets` into the entries, and the entries' `codes` and `vals`.

The file is keyed by this module's source and the size and mtime of the package's `__init__.py` and
segmentation model file; a change rebuilds it (~12 s).  Later loads map it (a few milliseconds).

Sentiment (one marshal file per model file, keyed by its path, size and mtime): the class names,
SnowNLP's priors `log(class total) - log(total)`, the logs for unseen words, and per word the logs
`log(count / class total)` that SnowNLP's `Bayes.classify` adds up (zeros for stop words).

A cache directory that cannot be written only costs the rebuild in every process.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import logging
import marshal
import sys
from collections.abc import Iterable
from math import log
from pathlib import Path
from typing import Any, Literal, NotRequired, TypeAlias, TypedDict, cast

import numpy as np

from analysis.snowfast_cache import default_cache_dir, read_arrays, write_arrays, write_atomic

FORMAT = 9
TAGS = ("b", "m", "e", "s")
BOS = ("", "BOS")
LO = 0x4E00  # SnowNLP's Chinese range U+4E00..U+9FA5
NCH = 0x9FA5 - LO + 1
_SEG_FILES = ("seg/seg.marshal",)
_STOP_FILE = "normal/stopwords.txt"
_SENTI_FILE = "sentiment/sentiment.marshal"
_INF = float("-inf")
logger = logging.getLogger(__name__)

# A segmentation state as SnowNLP's model keys it: (character, tag), or `BOS`.
_StateKey: TypeAlias = tuple[str, str]
# What `build_seg` makes of a state: (character code, tag index); None for BOS; False when unusable.
_State: TypeAlias = tuple[int, int] | None | Literal[False]
# Entries of a sparse table before `_sparse`: keys, codes, values.
_Entries: TypeAlias = tuple[list[int], list[int], list[float]]


class BayesTables(TypedDict):
    """A sentiment classifier's derived tables (`build_bayes`); `key` once cached."""

    classes: list[str]
    priors: list[float]
    unknown: tuple[float, ...]
    lookup: dict[str, tuple[float, ...]]
    key: NotRequired[str]


def package_dir() -> Path:
    spec = importlib.util.find_spec("snownlp")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("snownlp is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def snownlp_name(path: str | Path) -> Path:
    """The file SnowNLP's loaders really open for `path`: they append '.3' under Python 3."""
    path = Path(path)
    return path.with_name(path.name + ".3") if sys.version_info[0] == 3 else path


def shipped_model() -> Path:
    """SnowNLP's shipped sentiment model file (the real file name, with '.3')."""
    return snownlp_name(package_dir() / _SENTI_FILE)


def stop_file() -> Path:
    return package_dir() / _STOP_FILE


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _code_version() -> str:
    """This module's source (the derivation), so that a changed derivation rebuilds the cache."""
    try:
        return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:12]
    except OSError:
        return "?"


def seg_cache_key(pkg: Path) -> str:
    """This derivation, the package's code and segmentation model file, as they are now."""
    parts = [
        f"fmt{FORMAT}",
        _code_version(),
        sys.version.split()[0],
        _stat_key(pkg / "__init__.py"),
    ]
    parts += [_stat_key(snownlp_name(pkg / rel)) for rel in _SEG_FILES]
    return "|".join(parts)


def load_marshal(path: Path) -> Any:
    """Same as SnowNLP's loaders: gzip first, plain marshal when the file is not gzip.

    The unmarshalled object, whatever the file holds (a model file is a dict).
    """
    try:
        with gzip.open(path, "rb") as f:
            return marshal.loads(f.read())
    except OSError:
        with open(path, "rb") as f:
            return marshal.loads(f.read())


def _div(v1: float, v2: float) -> float:
    # SnowNLP's CharacterBasedGenerativeModel.div
    if v2 == 0:
        return 0
    return float(v1) / v2


def _logs(xs: Iterable[float]) -> list[float]:
    return [log(x) if x else _INF for x in xs]


def _sparse(
    prefix: str, keys: list[int], codes: list[int], vals: list[float]
) -> dict[str, np.ndarray]:
    """Entries (key, code, value) as sorted unique keys, offsets, and the entries in key order."""
    k = np.array(keys, dtype=np.int64)
    c = np.array(codes, dtype=np.uint8)
    order = np.lexsort((c, k))
    k = k[order]
    ukeys, first = np.unique(k, return_index=True)
    return {
        f"{prefix}_keys": ukeys,
        f"{prefix}_offsets": np.append(first, len(k)).astype(np.int32),
        f"{prefix}_codes": c[order],
        f"{prefix}_vals": np.array(vals, dtype=np.float64)[order],
    }


def build_seg(pkg: Path) -> dict[str, np.ndarray]:
    """Derive the log tables from SnowNLP's segmentation model file."""
    seg = load_marshal(snownlp_name(pkg / "seg/seg.marshal"))
    l1, l2, l3 = seg["l1"], seg["l2"], seg["l3"]
    uni, bi, tri = seg["uni"], seg["bi"], seg["tri"]
    ud, bd, td = uni["d"], bi["d"], tri["d"]
    u_none, b_none, t_none = uni["none"], bi["none"], tri["none"]
    if (u_none, b_none, t_none) != (0, 0, 0) or tuple(seg["status"]) != TAGS:
        raise ValueError("unexpected SnowNLP segmentation model layout")
    tag_ix = {t: i for i, t in enumerate(TAGS)}

    # state (character, tag) -> (character code, tag index); BOS -> None; unusable -> False
    # (only one-character states of SnowNLP's range can occur in a run)
    info: dict[_StateKey, _State] = {BOS: None}

    def state(s: _StateKey) -> _State:
        if s in info:
            return info[s]
        ok = len(s[0]) == 1 and "\u4e00" <= s[0] <= "\u9fa5" and s[1] in tag_ix
        r: _State = (ord(s[0]) - LO, tag_ix[s[1]]) if ok else False
        info[s] = r
        return r

    # uni term l1 * uni.freq((c, t)); SnowNLP's "found": some tag's freq != 0
    zero4 = (0.0, 0.0, 0.0, 0.0)
    uterm: dict[int, tuple[float, ...]] = {}
    found = np.zeros(NCH, dtype=np.bool_)
    for c in sorted({i[0] for i in map(state, ud) if i}):
        ch = chr(c + LO)
        counts = [ud.get((ch, t), 0) for t in TAGS]
        uterm[c] = tuple(l1 * (float(n) / uni["total"]) for n in counts)
        found[c] = any(float(n) / uni["total"] != 0 for n in counts)

    # bi term div(l2 * bi[(s2, s3)], uni[s2]); s2 == BOS only at position 0
    bi1: dict[int, list[tuple[int, float]]] = {}
    bi2: dict[int, list[tuple[int, float]]] = {}
    for (s2, s3), n in bd.items():
        i3 = info[s3] if s3 in info else state(s3)
        i2 = info[s2] if s2 in info else state(s2)
        if not i3 or i2 is False:
            continue
        v = _div(l2 * n, ud.get(s2, u_none))
        if v == 0:
            continue
        if i2 is None:
            bi1.setdefault(i3[0], []).append((i3[1], v))
        else:
            bi2.setdefault(i2[0] * NCH + i3[0], []).append((i2[1] * 4 + i3[1], v))

    clog = np.full((NCH, 4), _INF)
    first = np.full((NCH, 4), _INF)
    for c, u in uterm.items():
        clog[c] = _logs(u)
        ub = list(u)
        for code, v in bi1.get(c, ()):
            ub[code] = ub[code] + v
        first[c] = ub  # + the tri term below, then logs

    sums: dict[int, list[float]] = {}  # (c2, c3) -> uni + bi at t2*4 + t3
    pair: _Entries = ([], [], [])
    for key, e in bi2.items():
        s = list(uterm.get(key % NCH, zero4)) * 4
        for code, v in e:
            s[code] = s[code] + v
            pair[0].append(key)
            pair[1].append(code)
            pair[2].append(log(s[code]) if s[code] else _INF)
        sums[key] = s

    # tri term div(l3 * tri[(s1, s2, s3)], bi[(s1, s2)]); log((uni + bi) + tri)
    tri1: dict[int, list[tuple[int, float]]] = {}
    pos1: _Entries = ([], [], [])
    trip: _Entries = ([], [], [])
    for (s1, s2, s3), n in td.items():
        i3 = info[s3] if s3 in info else state(s3)
        i2 = info[s2] if s2 in info else state(s2)
        i1 = info[s1] if s1 in info else state(s1)
        if not i3 or i2 is False or i1 is False or (i1 is not None and i2 is None):
            continue
        v = _div(l3 * n, bd.get((s1, s2), b_none))
        if v == 0:
            continue
        if i2 is None:
            tri1.setdefault(i3[0], []).append((i3[1], v))
            continue
        key = i2[0] * NCH + i3[0]
        ub4 = sums.get(key)
        if ub4 is None:
            ub4 = sums[key] = list(uterm.get(i3[0], zero4)) * 4
        code = i2[1] * 4 + i3[1]
        x = ub4[code] + v
        entries = pos1 if i1 is None else trip
        if i1 is not None:
            key += i1[0] * NCH * NCH
            code += i1[1] * 16
        entries[0].append(key)
        entries[1].append(code)
        entries[2].append(log(x) if x else _INF)
    for c, e in tri1.items():
        row = first[c]
        for code, v in e:
            row[code] = row[code] + v
    for c in uterm:
        first[c] = _logs(first[c].tolist())

    out: dict[str, np.ndarray] = {"found": found, "clog": clog, "first": first}
    out.update(_sparse("pair", *pair))
    out.update(_sparse("tri2", *pos1))
    out.update(_sparse("tri3", *trip))
    return out


def load_seg(rebuild: bool = False, directory: Path | None = None) -> dict[str, np.ndarray]:
    """The segmentation tables: mapped from the cache, or built and cached when missing or stale."""
    pkg = package_dir()
    key = seg_cache_key(pkg)
    path = (directory or default_cache_dir()) / "snowfast_seg.bin"
    if not rebuild:
        data = read_arrays(path, key)
        if data is not None:
            return data
    built = build_seg(pkg)
    try:
        write_arrays(path, key, dict(built))
        (path.parent / "snowfast_tables.marshal").unlink(missing_ok=True)  # the former format
    except OSError as exc:  # a read-only cache directory: keep the tables in memory
        logger.warning("cannot write %s (%s); the tables are rebuilt in every process", path, exc)
        return built
    return read_arrays(path, key) or built


def read_stop_words() -> list[str]:
    """SnowNLP's stop words (`normal.stop`): the stripped lines of its stopwords.txt."""
    with open(stop_file(), encoding="utf-8") as f:
        return sorted({line.strip() for line in f})


def build_bayes(model_file: Path) -> BayesTables:
    """Derive the classifier's logs from a model file in SnowNLP's `Bayes.save` format.

    `lookup` maps a word to the tuple of its per-class logs.  SnowNLP's stop words (which its
    `filter_stop` drops before classifying) map to zeros: a sum is never -0.0, and `x + 0.0 == x`
    exactly, so adding them is the same as dropping them.  Equal tuples are one object, which
    keeps the cached file small and quick to load.
    """
    try:
        senti = load_marshal(model_file)
        classes = list(senti["d"])
        total = senti["total"]
        dk = {k: senti["d"][k] for k in classes}
        priors = [log(dk[k]["total"]) - log(total) for k in classes]
        unknown = tuple(log(float(dk[k]["none"]) / dk[k]["total"]) for k in classes)
        vocab: dict[str, None] = {}
        for k in classes:
            vocab.update(dict.fromkeys(dk[k]["d"]))
        shared: dict[tuple[float, ...], tuple[float, ...]] = {}
        lookup: dict[str, tuple[float, ...]] = {}
        for w in vocab:
            lw = tuple(
                log(float(dk[k]["d"].get(w, dk[k]["none"])) / dk[k]["total"]) for k in classes
            )
            lookup[w] = shared.setdefault(lw, lw)
    except (KeyError, TypeError, ValueError, EOFError, ZeroDivisionError, AttributeError) as exc:
        raise ValueError(f"{model_file} is not a SnowNLP sentiment model: {exc!r}") from exc
    if not classes or not all(isinstance(k, str) for k in classes):
        raise ValueError(f"{model_file} is not a SnowNLP sentiment model: bad classes {classes!r}")
    zeros = (0.0,) * len(classes)
    for w in read_stop_words():
        lookup[w] = zeros
    return {"classes": classes, "priors": priors, "unknown": unknown, "lookup": lookup}


def bayes_key(model_file: Path) -> str:
    """Identifies the classifier tables of `model_file` (an absolute path) in its state now."""
    parts = [f"bayes{FORMAT}", _code_version(), sys.version.split()[0], _stat_key(model_file)]
    return "|".join(parts + [_stat_key(stop_file())])


def load_bayes(model_file: Path, key: str, directory: Path | None = None) -> BayesTables:
    """The classifier tables of `model_file` for `bayes_key`, from the cache or built and cached."""
    tag = hashlib.sha1(str(model_file).encode()).hexdigest()[:16]
    path = (directory or default_cache_dir()) / f"snowfast_bayes_{tag}.marshal"
    try:
        with open(path, "rb") as f:
            cached = marshal.loads(f.read())
        if cached.get("key") == key:
            return cast(BayesTables, cached)  # written below for this very key
    except (OSError, EOFError, ValueError, TypeError, AttributeError):
        pass
    data = build_bayes(model_file)
    data["key"] = key
    try:
        blob = marshal.dumps(data)  # type: ignore[arg-type]  # TypedDict is a dict at run time
        write_atomic(path, [blob])
    except OSError as exc:
        logger.warning("cannot write %s (%s)", path, exc)
    return data
