"""A source's column mapping, and one export row mapped to a raw hotline item."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.errors import ConfigError, TimeFormatError
from crawler.normalize import parse_time
from crawler.sources import HotlineSource

Row = tuple[str, dict[str, Any] | None, str | None]

FIELDS = (
    "case_no", "published_at", "channel", "region", "category", "title", "text",
    "assigned_department", "status", "deadline", "reply", "replied_at",
)  # fmt: skip
_TIME_FIELDS = ("published_at", "deadline", "replied_at")
_PLAIN_FIELDS = ("channel", "region", "category", "title", "text", "assigned_department", "status")
CONTENT_FIELDS = ("text", "title")


def check_columns(source: HotlineSource) -> dict[str, str]:
    """The source's mapping as Post field -> compared header, or a `ConfigError` saying why not."""
    unknown = sorted(set(source.columns) - set(FIELDS))
    if unknown:
        raise ConfigError(
            f"source {source.name} maps unknown fields {', '.join(unknown)};"
            f" known fields: {', '.join(FIELDS)}"
        )
    missing = [f for f in ("case_no", "published_at") if f not in source.columns]
    if not any(f in source.columns for f in CONTENT_FIELDS):
        missing.append("text or title")
    if missing:
        raise ConfigError(f"source {source.name} maps no column for {', '.join(missing)}")
    return {field: header_key(header) for field, header in source.columns.items()}


def header_key(header: object) -> str:
    """A header as compared: exports pad headers with spaces, full-width ones included."""
    return "".join(str(header if header is not None else "").replace("\ufeff", "").split())


def required(columns: dict[str, str]) -> list[list[str]]:
    """Headers a file must have, each as alternatives: case number, received time, content."""
    content = [columns[f] for f in CONTENT_FIELDS if f in columns]
    return [[columns["case_no"]], [columns["published_at"]], content]


def item(values: dict[str, Any], columns: dict[str, str], origin: str, where: str) -> Row:
    """The raw item of a row (field -> cell), or why the row cannot become one, all at once."""
    values = {field: _cell(value) for field, value in values.items()}
    problems = _missing(values, columns)
    times = {}
    for field in _TIME_FIELDS:
        if values.get(field) is None:
            continue
        try:
            times[field] = parse_time(values[field])
        except TimeFormatError as exc:
            problems.append(f"column {columns[field]}: {exc}")
    if problems:
        return origin, None, f"{where}: {'; '.join(problems)}"
    case_no = _text(values["case_no"])
    raw: dict[str, Any] = {
        "kind": "hotline",
        "native_id": case_no,
        "origin": origin,
        "case_no": case_no,
        "author": None,  # callers are never named
        **{f: _text(values[f]) for f in _PLAIN_FIELDS if values.get(f) is not None},
        **{f: times[f] for f in ("published_at", "deadline") if f in times},
    }
    if values.get("reply") is not None:
        # A work order is answered by the department it was assigned to.
        raw["reply"] = {
            "text": _text(values["reply"]),
            "department": raw.get("assigned_department"),
            "replied_at": times.get("replied_at"),
        }
    return origin, raw, None


def _missing(values: dict[str, Any], columns: dict[str, str]) -> list[str]:
    problems = []
    if values.get("case_no") is None:
        problems.append(f"no case number ({columns['case_no']} is empty)")
    if values.get("published_at") is None:
        problems.append(f"no received time ({columns['published_at']} is empty)")
    if not any(values.get(f) for f in CONTENT_FIELDS):
        headers = [columns[f] for f in CONTENT_FIELDS if f in columns]
        verb = "is" if len(headers) == 1 else "are"
        problems.append(f"no content ({' and '.join(headers)} {verb} empty)")
    return problems


def _cell(value: Any) -> Any:
    """A cell as text or a time; blank is None. Spreadsheets hold case numbers as numbers."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None or isinstance(value, datetime | date):
        return value
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
