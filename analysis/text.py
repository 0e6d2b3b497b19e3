"""Word segmentation and keywords with jieba, shared by the pipeline and the demo loader."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

log = logging.getLogger(__name__)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_lock = threading.Lock()
_ready = False

# Particles and function words that carry no topic. The analysis issue moves this list to
# config/ together with the user dictionary.
STOP_WORDS = frozenset(
    "的 了 在 是 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那"
    " 他 她 它 们 我们 你们 他们 什么 怎么 这个 那个 还 把 被 让 给 对 从 与 及 或 而 但 并 等"
    " 吗 呢 吧 啊 呀 哦 嗯 已经 可以 没 又 才 再 将 能 为 以 之 其 于 此 该 请 希望 问题".split()
)


def _jieba():  # type: ignore[no-untyped-def]
    global _ready
    import jieba

    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _ready = True
    return jieba


def segment(text: str) -> list[str]:
    """Words of `text` (jieba's precise mode), without punctuation or stop words."""
    jieba = _jieba()
    return [
        w
        for w in jieba.lcut(text, HMM=True)
        if w.strip() and _WORD.search(w) and w not in STOP_WORDS
    ]


@lru_cache(maxsize=1)
def _tfidf():  # type: ignore[no-untyped-def]
    _jieba()
    import jieba.analyse

    extractor = jieba.analyse.TFIDF()
    return extractor


def keywords(text: str, top: int = 8) -> list[str]:
    """The `top` words of `text` by TF-IDF against jieba's reference corpus."""
    words = _tfidf().extract_tags(text, topK=top * 2)
    return [w for w in words if w not in STOP_WORDS][:top]
