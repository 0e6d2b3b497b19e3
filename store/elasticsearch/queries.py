"""Search requests: the query language and the filters as Elasticsearch clauses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store import base
from store.models import PostFilter
from store.query import And, Node, Not, Or, Term

# Weighted as the SQLite store's score: title twice, body once, and a match in the official
# reply only makes the post a hit (scored 0), for the reply is not what the post says.
_FIELD_BOOSTS = {"title_chars": 2.0, "body_chars": 1.0, "reply_chars": 0.0}


def text_query(node: Node) -> dict[str, Any]:
    """The query node as Elasticsearch bool/match_phrase clauses, matching as FTS5 does."""
    if isinstance(node, Term):
        phrase = " ".join(node.tokens)
        return {
            "bool": {
                "should": [
                    {"match_phrase": {name: {"query": phrase, "boost": boost}}}
                    for name, boost in _FIELD_BOOSTS.items()
                ],
                "minimum_should_match": 1,
            }
        }
    if isinstance(node, Not):
        return {"bool": {"must_not": [text_query(node.child)]}}
    if isinstance(node, Or):
        return {
            "bool": {
                "should": [text_query(child) for child in node.children],
                "minimum_should_match": 1,
            }
        }
    assert isinstance(node, And)
    clause: dict[str, Any] = {}
    must = [text_query(c) for c in node.children if not isinstance(c, Not)]
    must_not = [text_query(c.child) for c in node.children if isinstance(c, Not)]
    if must:
        clause["must"] = must
    if must_not:
        clause["must_not"] = must_not
    return {"bool": clause}


def filter_clauses(filters: PostFilter | None) -> list[dict[str, Any]]:
    f = filters or PostFilter()
    clauses: list[dict[str, Any]] = []

    def member(name: str, values: Sequence[str] | None) -> None:
        if values is not None:
            # An empty list matches nothing, as SQLite's IN () does.
            clauses.append({"terms": {name: list(values)}} if values else {"match_none": {}})

    member("source", f.sources)
    member("kind", [k.value for k in f.kinds] if f.kinds is not None else None)
    member("cluster_id", f.cluster_ids)
    member("region", f.regions)
    member("departments", f.departments)
    published: dict[str, int] = {}
    if f.published_from is not None:
        published["gte"] = base.to_micros(f.published_from)
    if f.published_to is not None:
        published["lt"] = base.to_micros(f.published_to)
    if published:
        clauses.append({"range": {"published_us": published}})
    sentiment: dict[str, float] = {}
    if f.sentiment_min is not None:
        sentiment["gte"] = f.sentiment_min
    if f.sentiment_max is not None:
        sentiment["lte"] = f.sentiment_max
    if sentiment:
        clauses.append({"range": {"sentiment": sentiment}})
    return clauses


def build_query(node: Node | None, filters: PostFilter | None, *, scored: bool) -> dict[str, Any]:
    """The whole query; the full-text part scores only when it has positive terms.

    Without positive terms SQLite scores every hit 0.0, and a bool query of filters alone
    does the same here.
    """
    clauses = filter_clauses(filters)
    query: dict[str, Any] = {}
    if node is not None:
        if scored:
            query["must"] = [text_query(node)]
        else:
            clauses.insert(0, text_query(node))
    query["filter"] = clauses or [{"match_all": {}}]
    return {"bool": query}
