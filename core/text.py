"""Valid text: what may be stored, logged or written into a document.

A lone surrogate (`"\\ud800"`, which JSON can carry) cannot be encoded as UTF-8: stored, it
makes every later read of its row fail. C0 control characters other than tab, line feed and
carriage return, and the non-characters U+FFFE and U+FFFF, are not allowed in XML, so they
break DOCX and XLSX files. Both kinds are replaced before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REPLACEMENT = "\ufffd"
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def valid_text(text: str) -> str:
    """`text` with lone surrogates, control characters and non-characters replaced by U+FFFD;
    unchanged (the same object) when it has none."""
    if _INVALID.search(text) is None:
        return text
    return _INVALID.sub(REPLACEMENT, text)


def valid_json(value: Any) -> Any:
    """A JSON-like value with every string in it (keys too) made valid."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, Mapping):
        return {
            (valid_text(k) if isinstance(k, str) else k): valid_json(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [valid_json(v) for v in value]
    return value


def valid_row(parameters: Any) -> Any:
    """A statement's parameters (a mapping or a sequence) with their strings made valid."""
    if isinstance(parameters, Mapping):
        return {k: valid_text(v) if isinstance(v, str) else v for k, v in parameters.items()}
    if isinstance(parameters, list | tuple):
        return type(parameters)(valid_text(v) if isinstance(v, str) else v for v in parameters)
    return parameters
