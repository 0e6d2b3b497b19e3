"""Word segmentation and keywords with jieba: one segmentation per post, keywords from its words.

Segmentation runs on rjieba, the Python binding of jieba-rs: jieba's algorithm and dictionary
in Rust, about 20 times faster here than the Python jieba (identical words without HMM, and on
98% of posts with it; the rest differ in how a dotted or hyphenated Latin/digit run is cut).
It gets the office's own vocabulary first: `config/userdict.txt` (local terms, jieba's user
dictionary format) and the place and department names of `config/departments.yaml`, so
"望潮苑" or "市生态环境局" stay whole words.

Keywords are jieba's TF-IDF ranking (term frequency times jieba's reference IDF, unknown words
at the median IDF), computed over the words already segmented, so a post is segmented once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.topictext import is_name
from core.settings import CONFIG_DIR

log = logging.getLogger(__name__)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
# The shipped vocabulary: the defaults of `Segmenter` (the product passes its configured files).
USER_DICT = CONFIG_DIR / "userdict.txt"
DEPARTMENTS_FILE = CONFIG_DIR / "departments.yaml"
# jieba's frequency for names added from departments.yaml: high enough to win against the
# words they are made of.
_NAME_FREQ = 2000


def _load_stop_words() -> frozenset[str]:
    path = CONFIG_DIR / "stopwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


STOP_WORDS = _load_stop_words()


def _dictionary_words(user_dict: Path | None) -> list[tuple[str, int | None]]:
    """(word, frequency) from a jieba user dictionary; nothing when there is none."""
    words: list[tuple[str, int | None]] = []
    if user_dict is None or not user_dict.exists():
        return words
    for line in user_dict.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        words.append((parts[0], freq))
    return words


class Segmenter:
    """jieba's precise mode (rjieba) with the office's vocabulary: a user dictionary, then the
    district, place and department names of a departments file, so "望潮苑" or "市生态环境局"
    stay whole words. Built on first use; thread-safe."""

    def __init__(
        self, *, user_dict: Path | None = USER_DICT, departments_file: Path | None = None
    ) -> None:
        self.user_dict = user_dict
        self.departments_file = departments_file
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._names: frozenset[str] | None = None
        self._name_cache: dict[str, bool] = {}

    def _words(self) -> list[tuple[str, int | None]]:
        words = _dictionary_words(self.user_dict)
        if self.departments_file is not None and self.departments_file.exists():
            from analysis.routing import user_words

            words += [(w, _NAME_FREQ) for w in user_words(self.departments_file)]
        return words

    def _cutter(self) -> Any:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import rjieba

                    tokenizer = rjieba.Jieba()
                    for word, freq in self._words():
                        tokenizer.add_word(word, freq, None)
                    self._tokenizer = tokenizer
        return self._tokenizer

    def is_name(self, word: str) -> bool:
        """Whether `word` names a place, estate, road or organisation: one of the departments
        file's places or departments, or a word ending like one (`analysis.topictext.is_name`).
        District and city names are too broad to count."""
        known = self._name_cache.get(word)
        if known is not None:
            return known
        names = self._names
        if names is None:
            from analysis.routing import place_names

            path = self.departments_file
            found = place_names(path) if path is not None and path.exists() else []
            names = self._names = frozenset(found)
        if len(self._name_cache) > 200_000:
            self._name_cache.clear()
        answer = self._name_cache[word] = word in names or is_name(word)
        return answer

    def segment(self, text: str) -> list[str]:
        """Words of `text` (jieba's precise mode with HMM), without punctuation or stop words."""
        get = _kept.get
        words = self._cutter().cut(text, True)
        return [w for w in words if get(w) or (get(w) is None and _keep(w))]


@lru_cache(maxsize=8)
def segmenter_for(user_dict: Path | None, departments_file: Path | None) -> Segmenter:
    """One segmenter per vocabulary in a process: building one reads the dictionaries."""
    return Segmenter(user_dict=user_dict, departments_file=departments_file)


def shipped_segmenter() -> Segmenter:
    """The segmenter of the shipped vocabulary (config/userdict.txt, config/departments.yaml)."""
    return segmenter_for(USER_DICT, DEPARTMENTS_FILE)


_kept: dict[str, bool] = {}


def _keep(word: str) -> bool:
    keep = _kept.get(word)
    if keep is None:
        keep = bool(word.strip() and _WORD.search(word) and word not in STOP_WORDS)
        if len(_kept) > 500_000:
            _kept.clear()
        _kept[word] = keep
    return keep


def segment(text: str) -> list[str]:
    """Words of `text` with the shipped vocabulary (tests, benchmarks, one-off scripts)."""
    return shipped_segmenter().segment(text)


@lru_cache(maxsize=1)
def idf_table() -> tuple[dict[str, float], float]:
    """jieba's reference IDF of each word, and the median used for words it does not know."""
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    loader = jieba.analyse.TFIDF().idf_loader
    return loader.idf_freq, loader.median_idf


def keywords_of(tokens: list[str], top: int = 8) -> list[str]:
    """The `top` words of a segmented post by TF-IDF (words of two or more characters)."""
    counts = Counter(w for w in tokens if len(w) > 1)
    if not counts:
        return []
    idf, median = idf_table()
    get = idf.get
    ranked = sorted([(-n * get(w, median), w) for w, n in counts.items()])
    return [w for _, w in ranked[:top]]


def keywords(text: str, top: int = 8) -> list[str]:
    """The `top` keywords of a raw text (segments it with the shipped vocabulary)."""
    return keywords_of(segment(text), top)
