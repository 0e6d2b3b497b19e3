"""Compact cached form of SnowNLP's segmentation and sentiment model tables.

The tables are derived from the model files of the installed `snownlp` package (they are never
shipped with this project).  The first use reads SnowNLP's gzip+marshal model files (~4 s),
precomputes each additive term of the segmenter's interpolated probability exactly as SnowNLP
computes it (same Python float operations, same order), and writes one marshal file under
the settings' `cache_dir` (``var/cache/`` by default).  Later loads read that file
(well under 0.5 s).  The file is keyed by the snownlp version and the size and mtime of every model
file used, so a changed package rebuilds it.  Nothing here imports `snownlp`.

Only characters in SnowNLP's Chinese range U+4E00..U+9FA5 are kept: the segmenter only ever sees
runs of those characters.  Sparse "packed" tables map fixed-width keys of 1, 2 or 3 characters to
(tag code, term) pairs, with the sorted keys stored column by column (see `_pack`).
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import marshal
import os
import sys
from array import array
from pathlib import Path

FORMAT = 7
TAGS = ("b", "m", "e", "s")
BOS = ("", "BOS")
_MODEL_FILES = ("seg/seg.marshal", "sentiment/sentiment.marshal", "normal/stopwords.txt")


def _in_range(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fa5"


def package_dir() -> Path:
    spec = importlib.util.find_spec("snownlp")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("snownlp is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def _model_path(pkg: Path, rel: str) -> Path:
    # SnowNLP's loaders append '.3' to marshal file names under Python 3.
    if rel.endswith(".marshal") and sys.version_info[0] == 3:
        rel += ".3"
    return pkg / rel


def cache_key(pkg: Path) -> str:
    parts = [f"fmt{FORMAT}", importlib.metadata.version("snownlp"), sys.version.split()[0]]
    for rel in _MODEL_FILES:
        st = _model_path(pkg, rel).stat()
        parts.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def _load_marshal(path: Path):
    # Same as SnowNLP: gzip first, plain marshal when the file is not gzip.
    try:
        with gzip.open(path, "rb") as f:
            return marshal.loads(f.read())
    except OSError:
        with open(path, "rb") as f:
            return marshal.loads(f.read())


def _div(v1, v2):
    # SnowNLP's CharacterBasedGenerativeModel.div
    if v2 == 0:
        return 0
    return float(v1) / v2


def _pack(entries: dict[str, list[tuple[int, float]]]) -> tuple:
    """(key columns 2.., offsets, tag codes, terms, {first char: (lo, hi) key positions}).

    Keys are sorted; column j is the string of the j-th characters of all keys, in that order.
    """
    keys = sorted(entries)
    index: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        index.setdefault(k[0], [i, i])[1] = i + 1
    offsets = array("I", [0])
    codes = array("B")
    values = array("d")
    for k in keys:
        for code, v in sorted(entries[k]):
            codes.append(code)
            values.append(v)
        offsets.append(len(codes))
    spans = {c: tuple(v) for c, v in index.items()}
    width = len(keys[0])
    cols = ["".join(k[j] for k in keys) for j in range(1, width)]
    return cols, offsets.tobytes(), codes.tobytes(), values.tobytes(), spans


def build(pkg: Path) -> dict:
    """Derive the compact tables from SnowNLP's model files."""
    seg = _load_marshal(_model_path(pkg, "seg/seg.marshal"))
    l1, l2, l3 = seg["l1"], seg["l2"], seg["l3"]
    uni, bi, tri = seg["uni"], seg["bi"], seg["tri"]
    ud, bd, td = uni["d"], bi["d"], tri["d"]
    u_none, b_none, t_none = uni["none"], bi["none"], tri["none"]
    if (u_none, b_none, t_none) != (0, 0, 0) or tuple(seg["status"]) != TAGS:
        raise ValueError("unexpected SnowNLP segmentation model layout")
    tag_ix = {t: i for i, t in enumerate(TAGS)}

    def ok(ct) -> bool:
        return ct == BOS or (len(ct[0]) == 1 and _in_range(ct[0]) and ct[1] in tag_ix)

    # uni term: l1 * uni.freq(s3), one 4-tuple per character; `found` = some count != 0
    uterm: dict[str, list[float]] = {}
    found = []
    chars = {k[0] for k in ud if k != BOS and len(k[0]) == 1 and _in_range(k[0])}
    for c in sorted(chars):
        counts = [ud.get((c, t), 0) for t in TAGS]
        uterm[c] = tuple(l1 * (float(n) / uni["total"]) for n in counts)
        if any(float(n) / uni["total"] != 0 for n in counts):
            found.append(c)
    # bi term: div(l2 * bi[(s2, s3)], uni[s2]); key = chars of s2 s3 ('' for BOS)
    b2: dict[str, list] = {}
    for (s2, s3), n in bd.items():
        if s3 == BOS or not (ok(s2) and ok(s3)):
            continue
        v = _div(l2 * n, ud.get(s2, u_none))
        if v == 0:
            continue
        code = (tag_ix[s2[1]] * 4 if s2 != BOS else 0) + tag_ix[s3[1]]
        b2.setdefault(s2[0] + s3[0], []).append((code, v))
    # tri term: div(l3 * tri[(s1, s2, s3)], bi[(s1, s2)])
    t3: dict[str, list] = {}
    for (s1, s2, s3), n in td.items():
        if s3 == BOS or not (ok(s1) and ok(s2) and ok(s3)) or (s1 != BOS and s2 == BOS):
            continue
        v = _div(l3 * n, bd.get((s1, s2), b_none))
        if v == 0:
            continue
        code = tag_ix[s3[1]]
        if s2 != BOS:
            code += tag_ix[s2[1]] * 4
        if s1 != BOS:
            code += tag_ix[s1[1]] * 16
        t3.setdefault(s1[0] + s2[0] + s3[0], []).append((code, v))

    senti = _load_marshal(_model_path(pkg, "sentiment/sentiment.marshal"))
    classes = list(senti["d"])
    total = senti["total"]
    from math import log

    priors = [log(senti["d"][k]["total"]) - log(total) for k in classes]
    unknown = [log(float(senti["d"][k]["none"]) / senti["d"][k]["total"]) for k in classes]
    vocab: set[str] = set()
    for k in classes:
        vocab.update(senti["d"][k]["d"])
    word_logs = {}
    for w in vocab:
        word_logs[w] = tuple(
            log(float(senti["d"][k]["d"].get(w, senti["d"][k]["none"])) / senti["d"][k]["total"])
            for k in classes
        )
    with open(_model_path(pkg, "normal/stopwords.txt"), encoding="utf-8") as f:
        stop = sorted({line.strip() for line in f})

    out = {
        "uterm": uterm,
        "found": "".join(found),
        "classes": classes,
        "priors": priors,
        "unknown": unknown,
        "word_logs": word_logs,
        "stop": stop,
    }
    for name, entries in (("bi", b2), ("tri", t3)):
        for width in (1, 2, 3):
            sub = {k: v for k, v in entries.items() if len(k) == width}
            if sub:
                out[f"{name}{width}"] = _pack(sub)
    return out


def cache_dir() -> Path:
    """Where the cache lives: `cache_dir` of the settings (``YUQING_CACHE_DIR``)."""
    from yuqing.settings import get_settings

    settings = get_settings()
    return settings.resolve(settings.cache_dir)


def load(rebuild: bool = False, directory: Path | None = None) -> dict:
    """The tables: read from the cache, or built and cached when missing or stale."""
    pkg = package_dir()
    key = cache_key(pkg)
    path = (directory or cache_dir()) / "snowfast_tables.marshal"
    if not rebuild and path.exists():
        try:
            with open(path, "rb") as f:
                data = marshal.loads(f.read())
            if data.get("key") == key:
                return data
        except (OSError, EOFError, ValueError, TypeError):
            pass
    data = build(pkg)
    data["key"] = key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(marshal.dumps(data))
    os.replace(tmp, path)
    return data
