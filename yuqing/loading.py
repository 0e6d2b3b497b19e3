"""Loading posts from JSON-lines files into the store, with analysis and a quarantine."""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from analysis.enrich import PostAnalyzer
from core.errors import InputError
from core.timezone import SHANGHAI
from crawler.pipeline import analyse_new
from store.base import PostStore, describe_validation_error
from store.models import Post

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class Rejected:
    """A line that was not stored, and why."""

    line: int
    reason: str
    raw: str


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    quarantine: Path | None = None

    @property
    def failed(self) -> int:
        return len(self.rejected)


# A line of a file: its parsed object, or why it could not be read.
Row = dict[str, Any] | Rejected

# Longer lines are refused unread: a post holds at most 200,000 characters of text.
MAX_LINE_BYTES = 4 * 1024 * 1024


def read_jsonl(path: Path) -> Iterator[tuple[int, Row]]:
    """Each line as a dict, or as a `Rejected` saying why it is not a JSON object of UTF-8
    text: read line by line, so that a bad line costs only itself."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        number = 0
        while line := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                reason = f"a line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
                yield number, Rejected(number, reason, _shown(line[:1000]) + "…")
                continue
            if number == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            if line.strip():
                yield number, _parse(number, line)


def _parse(number: int, line: bytes) -> Row:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected(number, _not_utf8(line, exc), _shown(line))
    raw = text.rstrip("\r\n")
    if "\x00" in text:
        hint = _UTF16_HINT if _utf16(line) else ""
        return Rejected(number, "not UTF-8 text: it holds NUL bytes" + hint, raw)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejected(number, f"not valid JSON: {exc.msg}", raw)
    except RecursionError:
        return Rejected(number, "not valid JSON: nested too deep", raw)
    if not isinstance(data, dict):
        return Rejected(number, "a line must hold one JSON object", raw)
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        lone = exc.object[exc.start : exc.end].encode("unicode_escape").decode()
        return Rejected(number, f"not text: a lone surrogate ({lone}) cannot be stored", raw)
    return data


_UTF16_HINT = "; the file looks like UTF-16: save it as UTF-8"


def _not_utf8(line: bytes, exc: UnicodeDecodeError) -> str:
    reason = f"not UTF-8 text ({exc.reason} at byte {exc.start + 1})"
    if _utf16(line):
        return reason + _UTF16_HINT
    try:
        json.loads(line.decode("gb18030"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return reason
    return reason + "; it reads as GB18030 (GBK): save the file as UTF-8"


def _utf16(line: bytes) -> bool:
    """Whether the line looks like UTF-16: a byte-order mark, or a NUL beside each letter of
    the JSON's punctuation and Latin text."""
    bom = line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return bom or line.count(b"\x00") * 4 >= len(line)


def _shown(line: bytes) -> str:
    """A line that is not UTF-8, as text: its other bytes written as \\xNN."""
    return line.decode("utf-8", "backslashreplace").rstrip("\r\n")


def load_posts(
    store: PostStore,
    rows: Iterable[tuple[int, Row]],
    *,
    analyzer: PostAnalyzer | None,
    quarantine_dir: Path | None = None,
    label: str = "posts",
    progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Validate, analyse and upsert rows in batches; bad rows go to the quarantine file."""
    report = LoadReport()
    batch: list[tuple[int, dict[str, Any]]] = []
    read = 0  # rows read since progress was last reported
    for number, row in rows:
        read += 1
        if isinstance(row, Rejected):
            report.rejected.append(row)
        else:
            batch.append((number, row))
        if len(batch) >= BATCH:
            _flush(store, batch, report, analyzer)
            batch = []
        if progress is not None and read >= BATCH:
            progress(read)
            read = 0
    if batch:
        _flush(store, batch, report, analyzer)
    if progress is not None and read:
        progress(read)
    if report.rejected and quarantine_dir is not None:
        report.quarantine = _quarantine(quarantine_dir, label, report.rejected)
    return report


def _flush(
    store: PostStore,
    batch: list[tuple[int, dict[str, Any]]],
    report: LoadReport,
    analyzer: PostAnalyzer | None,
) -> None:
    valid: list[tuple[int, Post]] = []
    for number, row in batch:
        try:
            valid.append((number, Post.model_validate(row)))
        except ValidationError as exc:
            raw = json.dumps(row, ensure_ascii=False)
            report.rejected.append(Rejected(number, describe_validation_error(exc), raw))
    posts = [post for _, post in valid]
    if analyzer is not None and posts:
        analyse_new(store, posts, analyzer)
    result = store.upsert(posts)
    for failure in result.failures:
        number, post = valid[failure.index]
        report.rejected.append(Rejected(number, failure.reason, post.model_dump_json()))
    report.created += result.created
    report.updated += result.updated
    report.unchanged += result.unchanged


def _quarantine(directory: Path, label: str, rejected: list[Rejected]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%dT%H%M%S")
    path = directory / f"{label}-{stamp}.jsonl"
    # A lone surrogate in a row (JSON can carry "\\ud800") is written as that same JSON escape.
    with path.open("a", encoding="utf-8", errors="backslashreplace") as out:
        for item in rejected:
            record = {"line": item.line, "reason": item.reason, "raw": item.raw}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    log.debug("%d rejected rows written to %s", len(rejected), path)
    return path
