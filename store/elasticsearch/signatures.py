"""Near-duplicate signatures in an Elasticsearch index of their own, one document per post
with its LSH band keys, shared by every worker writing to the cluster.

The index is named `neardup.<prefix>`, outside the `<prefix>-*` pattern of the post indices'
template, so it never joins the posts' alias.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from elasticsearch import ApiError, Elasticsearch

from core.errors import StoreError
from store.elasticsearch.connection import translate
from store.signatures import Candidate, Signature

if TYPE_CHECKING:
    from store.elasticsearch.connection import Connection

# A campaign of copies can share bands with many posts; each new post is compared with at
# most this many of them (the earliest first, as the first occurrence is what is looked for).
MAX_CANDIDATES = 200
_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "root": {"type": "keyword"},
        "published": {"type": "long"},
        "linkable": {"type": "boolean"},
        "signature": {"type": "binary"},
        "bands": {"type": "long"},
    },
}
_SOURCE = ["root", "published", "signature"]
_PRUNE_PAGE = 5000


def index_name(prefix: str) -> str:
    return f"neardup.{prefix}"


class ElasticsearchSignatures:
    """The signatures of one store prefix; safe to share between threads."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.index = index_name(connection.index_prefix)
        self._ready = False

    def _es(self) -> Elasticsearch:
        es = self.connection._es()
        if not self._ready:
            with translate("create the near-duplicate index"):
                try:
                    es.indices.create(
                        index=self.index,
                        settings={"number_of_shards": 1, "number_of_replicas": 0},
                        mappings=_MAPPINGS,
                    )
                except ApiError as exc:
                    if exc.meta.status != 400 or "already_exists" not in str(exc):
                        raise
            self._ready = True
        return es

    def candidates(self, keys: Sequence[Sequence[int]]) -> list[list[Candidate]]:
        wanted = [i for i, entry_keys in enumerate(keys) if entry_keys]
        out: list[list[Candidate]] = [[] for _ in keys]
        if not wanted:
            return out
        es = self._es()
        searches: list[dict[str, Any]] = []
        for i in wanted:
            searches.append({"index": self.index})
            searches.append(
                {
                    "query": {"bool": {"filter": [{"terms": {"bands": list(keys[i])}},
                                                  {"term": {"linkable": True}}]}},
                    "sort": [{"published": "asc"}],
                    "size": MAX_CANDIDATES,
                    "_source": _SOURCE,
                }
            )  # fmt: skip
        with translate("look up near-duplicate candidates"):
            reply = es.msearch(searches=searches)
        for i, response in zip(wanted, reply["responses"], strict=True):
            if "error" in response:
                raise _failed("look up near-duplicate candidates", response["error"])
            out[i] = [_candidate(hit) for hit in response["hits"]["hits"]]
        return out

    def roots(self, post_ids: Sequence[str]) -> dict[str, str]:
        if not post_ids:
            return {}
        with translate("look up near-duplicate roots"):
            reply = self._es().mget(index=self.index, ids=list(post_ids), source=["root"])
        return {doc["_id"]: doc["_source"]["root"] for doc in reply["docs"] if doc.get("found")}

    def put(self, signatures: Sequence[Signature], forget: Sequence[str] = ()) -> None:
        if not signatures and not forget:
            return
        body: list[dict[str, Any]] = []
        for s in signatures:
            body.append({"index": {"_index": self.index, "_id": s.post_id}})
            body.append(
                {
                    "root": s.root,
                    "published": s.published,
                    "linkable": s.linkable,
                    "signature": base64.b64encode(s.signature).decode("ascii"),
                    "bands": list(s.keys) if s.linkable else [],
                }
            )
        for post_id in forget:
            body.append({"delete": {"_index": self.index, "_id": post_id}})
        with translate("keep near-duplicate signatures"):
            # Refreshed at once: the next batch, on this worker or another, must see them.
            reply = self._es().bulk(operations=body, refresh=True)
        if reply.get("errors"):
            problems = [
                item for item in (next(iter(i.values())) for i in reply["items"])
                if item.get("status", 500) >= 300 and item.get("status") != 404
            ]  # fmt: skip
            if problems:
                raise _failed("keep near-duplicate signatures", problems[0].get("error"))

    def prune(self, before: int) -> int:
        # Page by page: the test distribution of Elasticsearch has no delete-by-query.
        es, pruned = self._es(), 0
        while True:
            with translate("find old near-duplicate signatures"):
                es.indices.refresh(index=self.index)
                hits = es.search(
                    index=self.index,
                    query={"range": {"published": {"lt": before}}},
                    size=_PRUNE_PAGE,
                    source=False,
                )["hits"]["hits"]
            if not hits:
                return pruned
            self.put([], [hit["_id"] for hit in hits])
            pruned += len(hits)

    def drop(self) -> None:
        with translate("delete the near-duplicate index"):
            self.connection._es().indices.delete(index=self.index, ignore_unavailable=True)
        self._ready = False

    def close(self) -> None:
        """The connection is the store's, closed with it."""


def _candidate(hit: dict[str, Any]) -> Candidate:
    source = hit["_source"]
    return Candidate(
        post_id=hit["_id"],
        root=source["root"],
        published=int(source["published"]),
        signature=base64.b64decode(source["signature"]),
    )


def _failed(action: str, error: Any) -> StoreError:
    return StoreError(f"Elasticsearch could not {action}: {error}")
