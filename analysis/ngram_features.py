"""Hashed character n-grams of texts: the features of the n-gram sentiment model.

A text is folded (links and @names dropped, lower case, full-width ASCII to half-width, each
run of white space one space, none at either end) and framed by a boundary mark, so "starts
with" and "ends with" are features too. Every run of 1 to `orders` characters is hashed (a
polynomial over the code points, then the SplitMix64 finaliser) to one of 2**bits buckets;
only the bucket numbers are kept, never the characters, so a model built on these features
holds weights and no text.

`hashed(texts, bits, orders)` does a batch with numpy at once: the texts are joined with one
boundary mark between neighbours, each order's hashes are computed over the joined array, and
an n-gram with a boundary inside it (it would span two texts) is dropped. Repeated n-grams of a
text are kept as they are, so sums over them count occurrences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_M64 = (1 << 64) - 1
_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SALT = 0x9E3779B97F4A7C15  # times the order, so a bigram never hashes as a unigram
# One past the last Unicode code point: the boundary mark is no character.
_BOUNDARY = np.uint64(0x110000)
_SPACE = 0x20
# Code points read as white space: the ASCII controls and Unicode's spaces.
_WHITE = np.array(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
    + list(range(0x2000, 0x200B)),
    dtype=np.uint64,
)
# A link or an @name, not across the NUL that joins two texts.
_NOISE = re.compile(r"(?:https?://|www\.)[^\s\x00]+|@[^\W\x00]{1,30}")
# Characters per joined batch: bounds the memory of one batch of long texts.
_CHUNK_CHARS = 400_000


@dataclass(frozen=True)
class Hashed:
    """The n-grams of `n` texts: `rows[k]` is the text the k-th n-gram came from, `buckets[k]`
    its bucket."""

    rows: npt.NDArray[np.int64]
    buckets: npt.NDArray[np.int64]
    n: int


def hashed(texts: Sequence[str], bits: int, orders: int) -> Hashed:
    """The hashed n-grams (1 to `orders` characters) of the folded texts."""
    rows: list[npt.NDArray[np.int64]] = []
    buckets: list[npt.NDArray[np.int64]] = []
    for first, chunk in _chunks(texts):
        r, b = _hash_chunk(chunk, bits, orders)
        rows.append(r + first)
        buckets.append(b)
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Hashed(empty, empty, len(texts))
    return Hashed(np.concatenate(rows), np.concatenate(buckets), len(texts))


def folded_codes(texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """The folded texts' code points, each text framed by the boundary mark (one mark between
    two texts)."""
    joined = "\x00" + "\x00".join(t.replace("\x00", "") for t in texts) + "\x00"
    joined = _NOISE.sub(" ", joined).lower()
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    wide = (codes >= 0xFF01) & (codes <= 0xFF5E)  # full-width ASCII
    codes[wide] -= np.uint64(0xFEE0)
    upper = (codes >= 0x41) & (codes <= 0x5A)  # full-width capitals were not lowered
    codes[upper] += np.uint64(0x20)
    codes[np.isin(codes, _WHITE)] = _SPACE
    mark = codes == 0
    codes[mark] = _BOUNDARY
    # a space goes when the character before it is a space or a mark, or the one after a mark
    space = codes == _SPACE
    before = np.concatenate(([True], space[:-1] | mark[:-1]))
    after = np.concatenate((mark[1:], [True]))
    drop = space & (before | after)
    # a run of spaces before a mark: the last one goes by `after`, the others by `before`
    # only once their run is gone; repeat until no space touches a mark or a space
    while drop.any():
        codes = codes[~drop]
        space = codes == _SPACE
        mark = codes == _BOUNDARY
        before = np.concatenate(([True], space[:-1] | mark[:-1]))
        after = np.concatenate((mark[1:], [True]))
        drop = space & (before | after)
    return codes


def _chunks(texts: Sequence[str]) -> Iterator[tuple[int, Sequence[str]]]:
    """(first index, texts) of consecutive runs of texts of at most _CHUNK_CHARS together (a
    longer text makes a run of its own)."""
    start, size = 0, 0
    for i, text in enumerate(texts):
        if size and size + len(text) > _CHUNK_CHARS:
            yield start, texts[start:i]
            start, size = i, 0
        size += len(text) + 1
    if start < len(texts):
        yield start, texts[start:]


def _mix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    h = (h ^ (h >> np.uint64(30))) * _MIX1
    h = (h ^ (h >> np.uint64(27))) * _MIX2
    return h ^ (h >> np.uint64(31))


def _hash_chunk(
    texts: Sequence[str], bits: int, orders: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    codes = folded_codes(texts)
    is_mark = codes == _BOUNDARY
    # the text each position belongs to; a mark belongs to the text after it
    text_of = np.cumsum(is_mark) - 1
    shift = np.uint64(64 - bits)
    rows: list[npt.NDArray[np.int64]] = []
    buckets: list[npt.NDArray[np.int64]] = []
    h = np.zeros(len(codes), dtype=np.uint64)
    inner = np.zeros(len(codes), dtype=bool)  # a mark strictly inside the n-gram
    for n in range(1, orders + 1):
        length = len(codes) - n + 1
        if length <= 0:
            break
        h = h[:length] * _PRIME + codes[n - 1 : n - 1 + length]
        if n == 1:
            keep = ~is_mark
        else:
            inner = inner[:length]
            if n >= 3:
                inner = inner | is_mark[n - 2 : n - 2 + length]
            # a mark at both ends and none inside: an empty text, not an n-gram
            keep = ~inner & ~(is_mark[:length] & is_mark[n - 1 : n - 1 + length])
        key = _mix(h + np.uint64(n * _SALT & _M64))
        where = np.flatnonzero(keep)
        buckets.append((key[where] >> shift).astype(np.int64))
        rows.append(text_of[where])
    return np.concatenate(rows), np.concatenate(buckets)
