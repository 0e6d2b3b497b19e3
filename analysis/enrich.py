"""Per-post analysis, applied before storage: the one entry point the crawler uses.

For a batch of posts: sentiment (SnowNLP's score through the exact fast path), one jieba
segmentation (tokens), TF-IDF keywords from those tokens, a SimHash fingerprint of the words,
the link to the post's first occurrence when it is a near duplicate (MinHash of its character
3-grams, `analysis.neardup`), and a department guess with its confidence. Fields a post
already carries are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from analysis import minhash, simhash
from analysis.neardup import Entry, NearDupIndex
from analysis.routing import Router
from analysis.sentiment import Sentiment
from analysis.text import USER_DICT, Segmenter, keywords_of, segmenter_for
from store.models import Post


@dataclass(frozen=True)
class AnalysisFiles:
    """The files per-post analysis reads and keeps."""

    # The near-duplicate index (LSH bands of every post seen).
    neardup_db: Path
    # A retrained sentiment model; SnowNLP's shipped one while this file is absent.
    sentiment_model: Path | None = None
    # Routing rules, whose place and department names also join the segmenter's dictionary.
    departments_file: Path | None = None
    user_dict: Path | None = USER_DICT
    # Derived tables kept between processes (the sentiment model's compact form).
    cache_dir: Path | None = None


class PostAnalyzer:
    """Fills the analysis fields of posts; build one per process and reuse it."""

    def __init__(self, files: AnalysisFiles) -> None:
        self.files = files
        self.sentiment = Sentiment(files.sentiment_model, files.cache_dir)

    @cached_property
    def segmenter(self) -> Segmenter:
        return segmenter_for(self.files.user_dict, self.files.departments_file)

    @cached_property
    def router(self) -> Router | None:
        """Department routing rules (None when there is no departments file)."""
        path = self.files.departments_file
        return Router.from_file(path) if path is not None and path.exists() else None

    @cached_property
    def index(self) -> NearDupIndex:
        return NearDupIndex(self.files.neardup_db)

    def enrich(self, posts: list[Post]) -> None:
        """Fill the analysis fields of `posts` that are still empty, in place."""
        if not posts:
            return
        todo = [p for p in posts if p.sentiment is None]
        scores = self.sentiment.score_many([sentiment_text(p) for p in todo])
        for post, score in zip(todo, scores, strict=True):
            post.sentiment = round(score, 6)
        for post in posts:
            if post.tokens is None:
                post.tokens = self.segmenter.segment(f"{post.title} {post.text}")
            if post.keywords is None:
                post.keywords = keywords_of(post.tokens)
        need_print = [p for p in posts if p.simhash is None]
        prints = simhash.fingerprints([p.tokens or [] for p in need_print])
        for post, value in zip(need_print, prints, strict=True):
            post.simhash = simhash.to_hex(value) if value is not None else None
        self._route(posts)
        self._link_near_duplicates(posts)

    def _route(self, posts: list[Post]) -> None:
        router = self.router
        if router is None:
            return
        for post in posts:
            if post.department_guess is None:
                guess = router.guess(
                    post.title, post.text, post.tokens, category=post.category, region=post.region
                )
                post.department_guess = guess.department_name
                post.department_confidence = round(guess.confidence, 3)

    def _link_near_duplicates(self, posts: list[Post]) -> None:
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
        for post, root in zip(posts, self.index.link(entries), strict=True):
            if post.near_dup_of is None:
                post.near_dup_of = root


def sentiment_text(post: Post) -> str:
    """What the sentiment score reads: the title, then the text."""
    return f"{post.title}。{post.text}".strip("。")
