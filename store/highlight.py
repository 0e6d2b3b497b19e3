"""Highlighted snippets, made the same way for every backend from the post's own text."""

from __future__ import annotations

import html
import unicodedata

from store.query import Term
from store.textindex import term_pattern

SNIPPET_CHARS = 120
LEAD_CHARS = 24


def snippet(title: str, text: str, terms: list[Term], width: int = SNIPPET_CHARS) -> str:
    """An HTML-escaped excerpt around the first match, each match wrapped in ``<mark>``.

    The text is shown NFKC-normalised (full-width Latin and digits folded), the form in which
    it was matched; the case of letters is kept.
    """
    body = unicodedata.normalize("NFKC", text or title)
    if not body:
        return ""
    folded = body.lower()
    if len(folded) != len(body):  # a rare letter whose lower case is longer: show it folded
        body = folded
    spans: list[tuple[int, int]] = []
    for term in terms:
        pattern = term_pattern(list(term.tokens))
        spans.extend((m.start(), m.end()) for m in pattern.finditer(folded) if m.end() > m.start())
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
