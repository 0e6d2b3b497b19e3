"""Where the near-duplicate index keeps its MinHash signatures and LSH bands: beside the posts,
in the post store, so every worker that writes posts links copies against the same index.

`analysis.neardup` decides what is a copy of what; a store only keeps the signatures and
answers which earlier posts share a band with a new one. The SQLite store keeps them in two
tables of its file (`store.sqlite.signatures`), Elasticsearch in an index of its own
(`store.elasticsearch.signatures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Signature:
    """One post's signature as kept."""

    post_id: str
    root: str  # the post's first occurrence (the post itself when it is one)
    published: int  # microseconds since the epoch
    linkable: bool  # long enough to be linked (only linkable posts have bands)
    signature: bytes
    keys: tuple[int, ...]  # its LSH band keys, each below 2**63


@dataclass(frozen=True, slots=True)
class Candidate:
    """A kept post that shares at least one band with a new one."""

    post_id: str
    root: str
    published: int
    signature: bytes


class SignatureIndex(Protocol):
    def candidates(self, keys: Sequence[Sequence[int]]) -> list[list[Candidate]]:
        """For each list of band keys, the linkable kept posts sharing at least one of them."""
        ...

    def roots(self, post_ids: Sequence[str]) -> dict[str, str]:
        """The first occurrence of each kept post named (posts not kept are left out)."""
        ...

    def put(self, signatures: Sequence[Signature], forget: Sequence[str] = ()) -> None:
        """Keep these signatures (replacing earlier ones of the same posts), forget `forget`,
        visible to every reader once this returns."""
        ...

    def prune(self, before: int) -> int:
        """Forget posts published before `before` (microseconds); how many."""
        ...

    def close(self) -> None: ...
