"""The token stream both backends index for full-text search, and how query terms are matched.

Chinese is indexed one character per token and Latin letters or digits one run per token. A
query term is searched as a phrase over those tokens, so 拆迁补偿 matches exactly where those
four characters stand in a row, wherever jieba would have cut the sentence. Word segmentation
depends on context (拆迁补偿款 may be cut 拆迁/补偿款), so indexing jieba's words would lose
phrase matches; jieba's words are kept for keywords and clustering instead.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0002ffff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def normalize(text: str) -> str:
    """Full-width to half-width and compatibility forms folded, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def index_tokens(text: str) -> list[str]:
    """The tokens of `text` as indexed: one per CJK character, one per Latin/digit run."""
    return _TOKEN.findall(normalize(text))


def index_stream(text: str) -> str:
    """`index_tokens` joined by spaces, ready for a whitespace tokenizer."""
    return " ".join(index_tokens(text))


def term_pattern(tokens: list[str]) -> re.Pattern[str]:
    """A regex finding a term's tokens in normalized text, with any separators between them."""
    parts = []
    for token in tokens:
        escaped = re.escape(token)
        if _TOKEN.fullmatch(token) and not re.fullmatch(f"[{_CJK}]", token):
            # A Latin run must match whole, as the index sees it.
            escaped = rf"(?<![^\W_{_CJK}]){escaped}(?![^\W_{_CJK}])"
        parts.append(escaped)
    return re.compile(r"[\W_]*".join(parts))
