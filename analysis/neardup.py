"""Near-duplicate links: each post that copies an earlier one points at its first occurrence.

MinHash signatures (`analysis.minhash`) and their LSH bands live in the post store
(`store.signatures`: two tables of the SQLite file, or an Elasticsearch index of their own), so
every worker writing posts links copies against the same index.
Two posts are near duplicates when the estimated Jaccard similarity of their character
3-grams reaches `MIN_SIMILARITY`. Candidates are found through the signatures' LSH bands (an
indexed lookup of 16 keys), never by comparing with every post.

A post linked to a post that is itself a copy points at that post's first occurrence, so a
copy-paste campaign forms one star around the post that started it. Texts with fewer than
`MIN_SHINGLES` 3-grams are recorded but never linked: short texts collide too easily.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from analysis import minhash
from store.signatures import Candidate, Signature, SignatureIndex
from store.sqlite.signatures import SqliteSignatures

MIN_SIMILARITY = 0.6
MIN_SHINGLES = 12


def _micros(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def _keys(signature: np.ndarray) -> list[int]:
    # the band number goes into the key, so equal rows in different bands do not collide
    return [(k ^ (band * 0x9E3779B97F4A7C15)) & ((1 << 63) - 1)
            for band, k in enumerate(minhash.band_keys(signature))]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Entry:
    post_id: str
    signature: np.ndarray | None
    shingles: int
    published: datetime
    repost_of: str | None = None


class NearDupIndex:
    """Links each new post to its first occurrence, against the signatures in `index` (a path
    is an SQLite file of its own, for tools and tests without a post store)."""

    def __init__(self, index: SignatureIndex | Path) -> None:
        self.signatures: SignatureIndex = (
            SqliteSignatures(index) if isinstance(index, Path) else index
        )
        self._lock = threading.Lock()

    def link(self, entries: list[Entry]) -> list[str | None]:
        """For each entry, the id of the post it copies (its first occurrence) or None.

        The kept signatures are looked up once for the batch; entries are then decided in
        order, each also against the entries before it, so a copy later in the batch links to
        an earlier one. A repost links to the root of the post it reposts.
        """
        keys = [
            _keys(e.signature) if e.signature is not None and e.shingles >= MIN_SHINGLES else []
            for e in entries
        ]
        with self._lock:
            kept = self.signatures.candidates(keys)
            reposted = {e.repost_of for e in entries if e.repost_of}
            kept_roots = self.signatures.roots(sorted(reposted))
            batch = _Batch()
            out: list[str | None] = []
            keep: list[Signature] = []
            forget: list[str] = []
            for entry, entry_keys, candidates in zip(entries, keys, kept, strict=True):
                root: str | None
                if entry.repost_of:
                    root = batch.roots.get(entry.repost_of) or kept_roots.get(
                        entry.repost_of, entry.repost_of
                    )
                else:
                    root = _first_occurrence(entry, candidates + batch.sharing(entry_keys))
                out.append(root)
                if entry.signature is None:
                    forget.append(entry.post_id)
                    continue
                record = Signature(
                    post_id=entry.post_id,
                    root=root or entry.post_id,
                    published=_micros(entry.published),
                    linkable=entry.shingles >= MIN_SHINGLES,
                    signature=minhash.to_bytes(entry.signature),
                    keys=tuple(entry_keys),
                )
                batch.add(record)
                keep.append(record)
            self.signatures.put(_last_of_each(keep), forget)
        return out

    def close(self) -> None:
        self.signatures.close()


class _Batch:
    """The signatures decided so far in this batch, by band key."""

    def __init__(self) -> None:
        self.by_key: dict[int, list[Candidate]] = {}
        self.roots: dict[str, str] = {}

    def add(self, record: Signature) -> None:
        self.roots[record.post_id] = record.root
        if not record.linkable:
            return
        candidate = Candidate(record.post_id, record.root, record.published, record.signature)
        for key in record.keys:
            self.by_key.setdefault(key, []).append(candidate)

    def sharing(self, keys: Sequence[int]) -> list[Candidate]:
        return [c for key in keys for c in self.by_key.get(key, ())]


def _first_occurrence(entry: Entry, candidates: list[Candidate]) -> str | None:
    if entry.signature is None or entry.shingles < MIN_SHINGLES:
        return None
    best: tuple[int, str] | None = None
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.post_id == entry.post_id or candidate.post_id in seen:
            continue
        seen.add(candidate.post_id)
        signature = minhash.from_bytes(candidate.signature)
        if minhash.similarity(entry.signature, signature) < MIN_SIMILARITY:
            continue
        if candidate.root == entry.post_id:  # a copy of this very post: it is the first
            return None
        if best is None or candidate.published < best[0]:
            best = (candidate.published, candidate.root)
    return best[1] if best else None


def _last_of_each(records: list[Signature]) -> list[Signature]:
    """One record per post, the last decided (a batch may carry a post twice)."""
    return list({record.post_id: record for record in records}.values())
