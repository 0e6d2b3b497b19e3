"""Search requests as SQL: the query language as FTS5 MATCH expressions, filters, scores."""

from __future__ import annotations

from typing import Any, TypeGuard

from store import base
from store.models import PostFilter
from store.query import And, Node, Not, Or, Term


def _all_expressed(parts: list[str | None]) -> TypeGuard[list[str]]:
    """Whether every part has an FTS5 expression (no None)."""
    return None not in parts


def fts_expr(node: Node) -> str | None:
    """The node as an FTS5 MATCH expression, or None where FTS5 cannot say it alone."""
    if isinstance(node, Term):
        return '"' + " ".join(node.tokens) + '"'
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        parts = [fts_expr(child) for child in node.children]
        return "(" + " OR ".join(parts) + ")" if _all_expressed(parts) else None
    positives = [fts_expr(c) for c in node.children if not isinstance(c, Not)]
    negatives = [fts_expr(c.child) for c in node.children if isinstance(c, Not)]
    if not positives or not _all_expressed(positives) or None in negatives:
        return None
    expr = "(" + " AND ".join(positives) + ")"
    for negative in negatives:
        expr = f"({expr} NOT {negative})"
    return expr


def match_sql(node: Node) -> tuple[str, list[Any]]:
    expr = fts_expr(node)
    if expr is not None:
        return "p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)", [expr]
    if isinstance(node, Not):
        sql, params = match_sql(node.child)
        return f"NOT ({sql})", params
    assert isinstance(node, And | Or)
    joiner = " AND " if isinstance(node, And) else " OR "
    parts, params = [], []
    for child in node.children:
        sql, child_params = match_sql(child)
        parts.append(f"({sql})")
        params += child_params
    return joiner.join(parts), params


def where_clause(node: Node | None, filters: PostFilter | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if node is not None:
        sql, match_params = match_sql(node)
        clauses.append(sql)
        params += match_params
    f = filters or PostFilter()

    def member(column: str, values: list[str] | None) -> None:
        if values is not None:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
            params.extend(values)

    member("p.source", f.sources)
    member("p.kind", [k.value for k in f.kinds] if f.kinds is not None else None)
    member("p.cluster_id", f.cluster_ids)
    member("p.region", f.regions)
    if f.departments is not None:
        marks = ",".join("?" * len(f.departments)) or "NULL"
        clauses.append(
            f"EXISTS (SELECT 1 FROM json_each(p.departments) d WHERE d.value IN ({marks}))"
        )
        params += f.departments
    if f.published_from is not None:
        clauses.append("p.published_at >= ?")
        params.append(base.to_micros(f.published_from))
    if f.published_to is not None:
        clauses.append("p.published_at < ?")
        params.append(base.to_micros(f.published_to))
    if f.sentiment_min is not None:
        clauses.append("p.sentiment >= ?")
        params.append(f.sentiment_min)
    if f.sentiment_max is not None:
        clauses.append("p.sentiment <= ?")
        params.append(f.sentiment_max)
    return (" AND ".join(clauses) or "1"), params


def relevance_sql(terms: list[Term]) -> tuple[str, list[Any]]:
    """A relevance score computed from the post alone, never from corpus statistics.

    BM25 changes as posts arrive, which would shuffle pages under a cursor; counting each
    term's occurrences (title twice as heavy), with a mild length discount, does not.
    """
    if not terms:
        return "0.0", []
    parts, params = [], []
    for term in terms:
        needle = " " + " ".join(term.tokens)
        parts.append(
            "(2.0 * (length(' ' || f.title) - length(replace(' ' || f.title, ?, ' ')))"
            " + (length(' ' || f.body) - length(replace(' ' || f.body, ?, ' '))))"
            f" / {len(needle) - 1}.0"
        )
        params += [needle, needle]
    return f"(({' + '.join(parts)}) / (1.0 + length(f.body) / 4000.0))", params
