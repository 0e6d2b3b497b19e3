"""Word segmentation and keywords with jieba, shared by the pipeline and the demo loader."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from yuqing.settings import CONFIG_DIR

log = logging.getLogger(__name__)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_lock = threading.Lock()
_ready = False


def _load_stop_words() -> frozenset[str]:
    path = CONFIG_DIR / "stopwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


STOP_WORDS = _load_stop_words()


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
