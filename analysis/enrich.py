"""Per-post analysis, applied in the crawl pipeline before storage.

For a batch of posts: sentiment (SnowNLP's score through the exact fast path), one jieba
segmentation (tokens), TF-IDF keywords from those tokens, a SimHash fingerprint of the words,
the link to the post's first occurrence when it is a near duplicate (MinHash of its character
3-grams, `analysis.neardup`), and a department guess with its confidence. Fields a post
already carries are kept.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from analysis import minhash, simhash
from analysis.neardup import Entry, NearDupIndex
from analysis.sentiment import score_many
from analysis.text import keywords_of, segment
from core.settings import get_settings
from store.models import Post

_index_lock = threading.Lock()
_index: NearDupIndex | None = None


def default_index() -> NearDupIndex:
    """The near-duplicate index under the configured data directory."""
    global _index
    with _index_lock:
        if _index is None:
            settings = get_settings()
            _index = NearDupIndex(settings.resolve(settings.data_dir) / "neardup.db")
        return _index


@lru_cache(maxsize=1)
def default_router():  # type: ignore[no-untyped-def]
    """Department routing rules from the configured departments file (None when absent)."""
    from analysis.routing import Router

    path = get_settings().analysis.departments_file
    return Router.from_file(path) if path.exists() else None


def sentiment_text(post: Post) -> str:
    """What the sentiment score reads: the title, then the text."""
    return f"{post.title}。{post.text}".strip("。")


def enrich(posts: list[Post], *, index: NearDupIndex | None = None) -> None:
    """Fill the analysis fields of `posts` that are still empty, in place."""
    if not posts:
        return
    todo = [p for p in posts if p.sentiment is None]
    for post, score in zip(todo, score_many([sentiment_text(p) for p in todo]), strict=True):
        post.sentiment = round(score, 6)
    for post in posts:
        if post.tokens is None:
            post.tokens = segment(f"{post.title} {post.text}")
        if post.keywords is None:
            post.keywords = keywords_of(post.tokens)
    need_print = [p for p in posts if p.simhash is None]
    for post, value in zip(
        need_print, simhash.fingerprints([p.tokens or [] for p in need_print]), strict=True
    ):
        post.simhash = simhash.to_hex(value) if value is not None else None
    router = default_router()
    if router is not None:
        for post in posts:
            if post.department_guess is None:
                guess = router.guess(
                    post.title, post.text, post.tokens, category=post.category, region=post.region
                )
                post.department_guess = guess.department_name
                post.department_confidence = round(guess.confidence, 3)
    texts = [f"{post.title} {post.text}" for post in posts]
    entries = [
        Entry(
            post_id=post.id,
            signature=signature,
            shingles=count,
            published=post.published_at,
            repost_of=post.is_repost_of,
        )
        for post, (signature, count) in zip(posts, minhash.signatures(texts), strict=True)
    ]
    roots = (index or default_index()).link(entries)
    for post, root in zip(posts, roots, strict=True):
        if post.near_dup_of is None:
            post.near_dup_of = root
