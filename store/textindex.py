"""The token stream both backends index for full-text search, and how query terms are matched.

Chinese is indexed one character per token and Latin letters or digits one run per token. A
query term is searched as a phrase over those tokens, so 拆迁补偿 matches exactly where those
four characters stand in a row, wherever jieba would have cut the sentence. Word segmentation
depends on context (拆迁补偿款 may be cut 拆迁/补偿款), so indexing jieba's words would lose
phrase matches; jieba's words are kept for keywords and clustering instead.

Punctuation between two tokens leaves a GAP token in the stream, so that 拆迁，补偿 is not the
phrase 拆迁补偿; whitespace leaves none, since Chinese writers put spaces almost anywhere.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0002ffff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A private-use character: a token to both FTS5's unicode61 and a whitespace analyser, and
# never produced by `normalize`.
GAP = "\ue000"
_SEPARATORS = re.compile(r"[\W_]+")
_TOKEN_OR_GAP = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+|{GAP}")


def normalize(text: str) -> str:
    """Full-width to half-width and compatibility forms folded, lower case."""
    return unicodedata.normalize("NFKC", text).replace(GAP, " ").lower()


def index_tokens(text: str) -> list[str]:
    """The tokens of `text` as indexed: one per CJK character, one per Latin/digit run."""
    marked = _SEPARATORS.sub(_mark_separator, normalize(text))
    tokens = _TOKEN_OR_GAP.findall(marked)
    while tokens and tokens[-1] == GAP:
        tokens.pop()
    start = 0
    while start < len(tokens) and tokens[start] == GAP:
        start += 1
    return tokens[start:] if start else tokens


def _mark_separator(match: re.Match[str]) -> str:
    return " " if match.group().isspace() else f" {GAP} "


def index_stream(text: str) -> str:
    """`index_tokens` joined by spaces, ready for a whitespace tokenizer."""
    return " ".join(index_tokens(text))


def term_pattern(tokens: list[str]) -> re.Pattern[str]:
    """A regex finding a term's tokens in `normalize`d text, as the index would match them."""
    parts = []
    for token in tokens:
        if token == GAP:
            parts.append(r"[\W_]*?(?:[^\w\s]|_)[\W_]*?")
            continue
        escaped = re.escape(token)
        if not _CJK_CHAR.fullmatch(token):
            # A Latin run must match whole, as the index sees it.
            escaped = rf"(?<![^\W_{_CJK}]){escaped}(?![^\W_{_CJK}])"
        parts.append(escaped)
    glued = []
    for i, part in enumerate(parts):
        if i and tokens[i] != GAP and tokens[i - 1] != GAP:
            glued.append(r"\s*")
        glued.append(part)
    return re.compile("".join(glued))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize`d text and, for each of its characters, the offset in `text` it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        piece = normalize(char)
        folded.append(piece)
        origin.extend([i] * len(piece))
    origin.append(len(text))
    return "".join(folded), origin
