"""Per-post analysis, applied before storage: the one entry point the crawler uses.

For a batch of posts: sentiment (by default the n-gram model trained on Weibo posts and
reviews, `analysis.sentiment_ngram`; SnowNLP's own score, through its exact fast path, is kept
beside it as `sentiment_snownlp`), one jieba segmentation (tokens), TF-IDF keywords from those
tokens, a SimHash fingerprint of the words, the link to the post's first occurrence when it is
a near duplicate (MinHash of its character 3-grams, `analysis.neardup`), and a department
guess with its confidence. Fields a post already carries are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from analysis import minhash, simhash
from analysis.neardup import Entry, NearDupIndex
from analysis.routing import Router
from analysis.sentiment import Sentiment
from analysis.sentiment_ngram import NgramSentiment
from analysis.text import USER_DICT, Segmenter, keywords_of, segmenter_for
from core.errors import StoreUnavailable
from store.models import Post
from store.signatures import SignatureIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisFiles:
    """The files per-post analysis reads and keeps."""

    # A near-duplicate index of its own (an SQLite file), for tools and tests without a post
    # store; the product keeps the index in the post store (`PostAnalyzer(signatures=...)`).
    neardup_db: Path | None = None
    # SnowNLP's classifier retrained; SnowNLP's shipped one while this file is absent.
    sentiment_model: Path | None = None
    # An n-gram sentiment model trained on the office's texts; the shipped one while absent.
    ngram_model: Path | None = None
    # Whose score is a post's `sentiment`: "ngram" or "snownlp" (SnowNLP's own score is kept
    # as `sentiment_snownlp` either way).
    sentiment_engine: str = "ngram"
    # Routing rules, whose place and department names also join the segmenter's dictionary.
    departments_file: Path | None = None
    user_dict: Path | None = USER_DICT
    # Derived tables kept between processes (the sentiment model's compact form).
    cache_dir: Path | None = None


class PostAnalyzer:
    """Fills the analysis fields of posts; build one per process and reuse it."""

    def __init__(self, files: AnalysisFiles, *, signatures: SignatureIndex | None = None) -> None:
        """`signatures`: where near-duplicate signatures are kept (the post store's); without
        it, `files.neardup_db`."""
        if files.sentiment_engine not in ("ngram", "snownlp"):
            raise ValueError(f"unknown sentiment engine {files.sentiment_engine!r}")
        if signatures is None and files.neardup_db is None:
            raise ValueError("near-duplicate signatures need a post store or a neardup_db file")
        self.files = files
        self._signatures = signatures
        self.snownlp = Sentiment(files.sentiment_model, files.cache_dir)
        self.ngram = NgramSentiment(files.ngram_model)

    @property
    def sentiment(self) -> Sentiment | NgramSentiment:
        """The scorer whose score is a post's `sentiment`."""
        return self.ngram if self.files.sentiment_engine == "ngram" else self.snownlp

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
        if self._signatures is not None:
            return NearDupIndex(self._signatures)
        assert self.files.neardup_db is not None  # checked in __init__
        return NearDupIndex(self.files.neardup_db)

    def enrich(self, posts: list[Post]) -> None:
        """Fill the analysis fields of `posts` that are still empty, in place."""
        if not posts:
            return
        todo = [p for p in posts if p.sentiment_snownlp is None]
        scores = self.snownlp.score_many([sentiment_text(p) for p in todo])
        for post, score in zip(todo, scores, strict=True):
            post.sentiment_snownlp = round(score, 6)
        todo = [p for p in posts if p.sentiment is None]
        if self.files.sentiment_engine == "snownlp":
            for post in todo:
                post.sentiment = post.sentiment_snownlp
        else:
            scores = self.ngram.score_many([sentiment_text(p) for p in todo])
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
        self.link_near_duplicates(posts)

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

    def link_near_duplicates(self, posts: list[Post]) -> None:
        """Set `near_dup_of` on the posts that copy an earlier one. While the store that keeps
        the signatures is down, the posts stay unlinked (a replay links them)."""
        if not posts:
            return
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
        try:
            roots = self.index.link(entries)
        except StoreUnavailable as exc:
            log.warning("near duplicates not linked while the store is down: %s", exc)
            return
        for post, root in zip(posts, roots, strict=True):
            if post.near_dup_of is None:
                post.near_dup_of = root


def sentiment_text(post: Post) -> str:
    """What the sentiment score reads: the title, then the text."""
    return f"{post.title}。{post.text}".strip("。")
