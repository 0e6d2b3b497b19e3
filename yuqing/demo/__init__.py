"""The demo data set: invented posts, moved in time so that the newest falls on today."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from store.models import SHANGHAI
from yuqing.loading import Rejected, read_jsonl

DEMO_POSTS = Path(__file__).resolve().parent / "posts.jsonl"
_TIME_FIELDS = ("published_at", "fetched_at", "deadline")


def demo_rows(today: date | None = None) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """The demo posts, shifted by whole days so the last one is on `today` (Shanghai)."""
    rows = list(read_jsonl(DEMO_POSTS))
    newest = max(
        datetime.fromisoformat(row["published_at"]) for _, row in rows if isinstance(row, dict)
    )
    target = today or datetime.now(SHANGHAI).date()
    shift = timedelta(days=(target - newest.astimezone(SHANGHAI).date()).days)
    for number, row in rows:
        if isinstance(row, dict):
            row = _shifted(row, shift)
        yield number, row


def _shifted(row: dict[str, Any], shift: timedelta) -> dict[str, Any]:
    row = dict(row)
    for name in _TIME_FIELDS:
        if row.get(name):
            row[name] = (datetime.fromisoformat(row[name]) + shift).isoformat()
    if row.get("reply") and row["reply"].get("replied_at"):
        reply = dict(row["reply"])
        reply["replied_at"] = (datetime.fromisoformat(reply["replied_at"]) + shift).isoformat()
        row["reply"] = reply
    return row
