"""Loading posts from JSON-lines files into the store, with analysis and a quarantine."""

from __future__ import annotations

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


def read_jsonl(path: Path) -> Iterator[tuple[int, Row]]:
    """Each line as a dict, or as a `Rejected` when it is not a JSON object."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, Rejected(number, f"not valid JSON: {exc.msg}", line.rstrip("\n"))
                continue
            if not isinstance(data, dict):
                yield number, Rejected(number, "a line must hold one JSON object", line.rstrip())
                continue
            yield number, data


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
    for number, row in rows:
        if isinstance(row, Rejected):
            report.rejected.append(row)
            continue
        batch.append((number, row))
        if len(batch) >= BATCH:
            _flush(store, batch, report, analyzer, progress)
            batch = []
    if batch:
        _flush(store, batch, report, analyzer, progress)
    if report.rejected and quarantine_dir is not None:
        report.quarantine = _quarantine(quarantine_dir, label, report.rejected)
    return report


def _flush(
    store: PostStore,
    batch: list[tuple[int, dict[str, Any]]],
    report: LoadReport,
    analyzer: PostAnalyzer | None,
    progress: Callable[[int], None] | None,
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
    if progress is not None:
        progress(len(batch))


def _quarantine(directory: Path, label: str, rejected: list[Rejected]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%dT%H%M%S")
    path = directory / f"{label}-{stamp}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        for item in rejected:
            record = {"line": item.line, "reason": item.reason, "raw": item.raw}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    log.warning("%d rejected rows written to %s", len(rejected), path)
    return path
