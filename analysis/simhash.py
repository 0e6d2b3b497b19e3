"""64-bit SimHash fingerprints of segmented posts, computed for a batch at once with numpy.

Each distinct word gets a 64-bit hash (BLAKE2b, so fingerprints are the same in every process
and on every machine). A post's fingerprint sets bit i when the words whose hash has bit i set
outweigh those that have it clear; a word weighs its count in the post. Two posts that share
most of their words differ in few bits: `distance` counts them.
"""

from __future__ import annotations

import hashlib

import numpy as np

BITS = 64
# Bounded cache of word -> row in the bit matrix.
_MAX_WORDS = 200_000
_rows: dict[str, int] = {}
_signs = np.zeros((0, BITS), dtype=np.float32)


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")


def _rows_of(words: list[str]) -> np.ndarray:
    """Row numbers in `_signs` (+1 where a word's hash bit is set, -1 where clear) for words."""
    global _signs
    new = [w for w in dict.fromkeys(words) if w not in _rows]
    if new:
        if len(_rows) + len(new) > _MAX_WORDS:
            _rows.clear()
            _signs = np.zeros((0, BITS), dtype=np.float32)
            new = list(dict.fromkeys(words))
        hashes = np.array([_word_hash(w) for w in new], dtype=np.uint64)
        # bit i of each hash, most significant first
        shifts = np.arange(BITS - 1, -1, -1, dtype=np.uint64)
        bits = (hashes[:, None] >> shifts) & np.uint64(1)
        start = len(_rows)
        _signs = np.vstack([_signs, bits.astype(np.float32) * 2 - 1])
        for i, w in enumerate(new):
            _rows[w] = start + i
    return np.fromiter((_rows[w] for w in words), dtype=np.int64, count=len(words))


def fingerprints(docs: list[list[str]]) -> list[int | None]:
    """The fingerprint of each word list; None for a list without words."""
    flat = [w for words in docs for w in words]
    out: list[int | None] = [None] * len(docs)
    if not flat:
        return out
    rows = _rows_of(flat)
    lengths = np.array([len(words) for words in docs], dtype=np.int64)
    nonempty = np.flatnonzero(lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
    sums = np.add.reduceat(_signs[rows], starts, axis=0)  # one row per non-empty doc
    weights = 1 << np.arange(BITS - 1, -1, -1, dtype=np.uint64)
    values = ((sums > 0).astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    for i, value in zip(nonempty.tolist(), values.tolist(), strict=True):
        out[i] = int(value)
    return out


def to_hex(value: int) -> str:
    return f"{value:016x}"


def from_hex(text: str) -> int:
    return int(text, 16)


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return (a ^ b).bit_count()
