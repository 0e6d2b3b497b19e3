"""Word segmentation and keywords with jieba: one segmentation per post, keywords from its words.

jieba gets the office's own vocabulary first: `config/userdict.txt` (local terms) and the place
and department names of `config/departments.yaml`, so "望潮苑" or "市生态环境局" stay whole words.

Keywords are jieba's TF-IDF ranking (term frequency times jieba's reference IDF, unknown words
at the median IDF), computed over the words already segmented, so a post is segmented once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from functools import lru_cache

from yuqing.settings import CONFIG_DIR, get_settings

log = logging.getLogger(__name__)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_lock = threading.Lock()
_ready = False
USER_DICT = CONFIG_DIR / "userdict.txt"
# jieba's frequency for names added from departments.yaml: high enough to win against the
# words they are made of.
_NAME_FREQ = 2000


def _load_stop_words() -> frozenset[str]:
    path = CONFIG_DIR / "stopwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


STOP_WORDS = _load_stop_words()


def _office_words() -> list[str]:
    """Place and department names from the departments file (none when it is absent)."""
    path = get_settings().analysis.departments_file
    if not path.exists():
        return []
    from analysis.routing import user_words

    return user_words(path)


def _jieba():  # type: ignore[no-untyped-def]
    global _ready
    import jieba

    if _ready:
        return jieba
    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            if USER_DICT.exists():
                jieba.load_userdict(str(USER_DICT))
            for word in _office_words():
                jieba.add_word(word, freq=_NAME_FREQ)
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
def idf_table() -> tuple[dict[str, float], float]:
    """jieba's reference IDF of each word, and the median used for words it does not know."""
    _jieba()
    import jieba.analyse

    loader = jieba.analyse.TFIDF().idf_loader
    return loader.idf_freq, loader.median_idf


def keywords_of(tokens: list[str], top: int = 8) -> list[str]:
    """The `top` words of a segmented post by TF-IDF (words of two or more characters)."""
    counts = Counter(w for w in tokens if len(w) > 1)
    if not counts:
        return []
    idf, median = idf_table()
    scored = sorted(counts.items(), key=lambda kv: (-kv[1] * idf.get(kv[0], median), kv[0]))
    return [w for w, _ in scored[:top]]


def keywords(text: str, top: int = 8) -> list[str]:
    """The `top` keywords of a raw text (segments it first)."""
    return keywords_of(segment(text), top)
