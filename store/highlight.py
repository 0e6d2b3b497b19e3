"""Highlighted snippets, made the same way for every backend from the post's own text."""

from __future__ import annotations

import html

from store.query import Term
from store.textindex import fold_with_offsets, term_pattern

SNIPPET_CHARS = 120
LEAD_CHARS = 24


def snippet(title: str, text: str, terms: list[Term], width: int = SNIPPET_CHARS) -> str:
    """An HTML-escaped excerpt of the text around its first match, matches in ``<mark>``.

    Matching runs on the folded text (full-width and case folded, as indexed), but the
    excerpt shows the writer's own characters.
    """
    body = text or title
    if not body:
        return ""
    folded, origin = fold_with_offsets(body)
    spans: list[tuple[int, int]] = []
    for term in terms:
        for match in term_pattern(list(term.tokens)).finditer(folded):
            if match.end() > match.start():
                spans.append((origin[match.start()], origin[match.end()]))
    spans = _merge(sorted(spans))
    start = max(0, spans[0][0] - LEAD_CHARS) if spans else 0
    end = min(len(body), start + width)
    out = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(body[cursor:s]))
        out.append(f"<mark>{html.escape(body[s:e])}</mark>")
        cursor = e
    out.append(html.escape(body[cursor:end]))
    if end < len(body):
        out.append("…")
    return "".join(out)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
