"""Per-post analysis applied before storage: words, keywords and sentiment."""

from __future__ import annotations

from typing import Any

from analysis.sentiment import score_many
from analysis.text import keywords, segment


def enrich(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill the analysis fields a post does not carry yet; posts are changed in place."""
    todo = [p for p in posts if p.get("sentiment") is None]
    texts = [f"{p.get('title') or ''}。{p.get('text') or ''}".strip("。") for p in todo]
    for post, score in zip(todo, score_many(texts), strict=True):
        post["sentiment"] = round(score, 6)
    for post in posts:
        body = f"{post.get('title') or ''} {post.get('text') or ''}"
        if post.get("tokens") is None:
            post["tokens"] = segment(body)
        if post.get("keywords") is None:
            post["keywords"] = keywords(body)
    return posts
