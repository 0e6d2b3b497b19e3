"""One export row (Post field -> cell) as a raw item, or every reason it cannot be one."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from core.errors import TimeFormatError
from crawler.normalize import Precision, read_time
from crawler.pipeline import stable_id
from crawler.source_options import TIME_FIELDS
from crawler.tabular.authors import pseudonym
from crawler.tabular.mapping import CONTENT_FIELDS, ExportMapping, Row

_TEXT_FIELDS = (
    "case_no", "url", "title", "text", "region", "category", "channel", "assigned_department",
    "status",
)  # fmt: skip
_COUNT_FIELDS = ("reposts", "comments", "likes")
_COUNT = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*([万千kKwW亿])?\+?$")
_SCALE = {"千": 1_000, "k": 1_000, "K": 1_000, "万": 10_000, "w": 10_000, "W": 10_000,
          "亿": 100_000_000}  # fmt: skip
_YES = frozenset({"1", "true", "yes", "y", "是", "已认证", "认证", "v"})
_NO = frozenset({"0", "false", "no", "n", "否", "未认证", "无"})
# What exports write in the reply column of an unanswered item (Fuzhou 12345 writes 无).
_NO_REPLY = frozenset({"无", "暂无", "暂无回复", "暂无答复", "未回复", "未答复", "-", "—", "/"})


def item(values: dict[str, Any], mapping: ExportMapping, origin: str, where: str) -> Row:
    """The raw item of a row (field -> cell), or why the row cannot become one, all at once."""
    values = {field: _cell(value) for field, value in values.items()}
    problems = _missing(values, mapping)
    times: dict[str, tuple[datetime, Precision]] = {}
    for field in sorted(TIME_FIELDS & values.keys()):
        if values[field] is None:
            continue
        try:
            times[field] = _time(values[field], mapping, field)
        except TimeFormatError as exc:
            problems.append(_time_error(values[field], mapping, field, exc))
    counts: dict[str, int] = {}
    for field in _COUNT_FIELDS:
        if values.get(field) is not None:
            try:
                counts[field] = _count(values[field])
            except ValueError:
                problems.append(f"column {_header(mapping, field)}: {values[field]!r} is no count")
    verified = values.get("author_verified")
    if verified is not None and _flag(verified) is None:
        header = _header(mapping, "author_verified")
        problems.append(f"column {header}: {verified!r} is neither yes nor no")
    if problems:
        return origin, None, f"{where}: {'; '.join(problems)}"
    raw: dict[str, Any] = {
        "kind": mapping.kind,
        "native_id": _text(values[mapping.id_field]),
        "origin": origin,
        **{f: _text(values[f]) for f in _TEXT_FIELDS if values.get(f) is not None},
        "author": _author(values.get("author"), mapping),
        "published_at": times["published_at"][0],
        "published_precision": times["published_at"][1],
    }
    raw.setdefault("region", mapping.default_region)
    if "deadline" in times:
        raw["deadline"] = times["deadline"][0]
    if verified is not None:
        raw["author_verified"] = _flag(verified)
    if counts:
        raw["engagement"] = counts
    for field, post_field in (("repost_of", "is_repost_of"), ("reply_to", "reply_to")):
        if values.get(field) is not None:
            raw[post_field] = stable_id(mapping.links[field], _text(values[field]), None)
    if values.get("reply") is not None and _text(values["reply"]) not in _NO_REPLY:
        raw["reply"] = {
            "text": _text(values["reply"]),
            "department": _reply_department(values, raw, mapping),
            "replied_at": times["replied_at"][0] if "replied_at" in times else None,
        }
    return origin, raw, None


def _missing(values: dict[str, Any], mapping: ExportMapping) -> list[str]:
    problems = []
    number = mapping.id_field
    if values.get(number) is None:
        what = "id" if number == "id" else "case number"
        problems.append(f"no {what} ({_header(mapping, number)} is empty)")
    if values.get("published_at") is None:
        problems.append(f"no received time ({_header(mapping, 'published_at')} is empty)")
    if not any(values.get(f) for f in CONTENT_FIELDS):
        headers = [mapping.headers[f] for f in CONTENT_FIELDS if f in mapping.headers]
        verb = "is" if len(headers) == 1 else "are"
        problems.append(f"no content ({' and '.join(headers)} {verb} empty)")
    return problems


def _time(value: Any, mapping: ExportMapping, field: str) -> tuple[datetime, Precision]:
    """A time cell with its precision; a `TimeFormatError` names the column, value and formats.

    A spreadsheet keeps a date-only cell as a datetime at midnight: that is a day, not 00:00.
    """
    reading = mapping.readings[field]
    moment, precision = read_time(value, reading=reading)
    if isinstance(value, datetime) and value.time() == time(0) and value.tzinfo is None:
        precision = "day"
    return moment, precision


def _time_error(value: Any, mapping: ExportMapping, field: str, exc: TimeFormatError) -> str:
    reading = mapping.readings[field]
    tried = ", ".join(repr(f) for f in reading.formats)
    order = "day first" if reading.dayfirst else "month first"
    formats = f"{tried}, then the built-in formats" if tried else "the built-in formats"
    why = "" if str(exc).startswith("unknown time format") else f" ({exc})"
    return (
        f"column {_header(mapping, field)}: cannot read {_text(value)!r} as a time{why};"
        f" tried {formats} ({order} for dates with the year last)"
    )


def _author(value: Any, mapping: ExportMapping) -> str | None:
    if mapping.kind == "hotline" or value is None:
        return None  # hotline callers are never named, whatever the export holds
    assert mapping.author_key is not None  # `mapping_of` refuses a board author without it
    return pseudonym(mapping.author_key, mapping.source, _text(value))


def _reply_department(
    values: dict[str, Any], raw: dict[str, Any], mapping: ExportMapping
) -> str | None:
    if values.get("reply_department") is not None:
        return _text(values["reply_department"])
    # A work order is answered by the department it was assigned to; a board reply says who.
    return raw.get("assigned_department") if mapping.kind == "hotline" else None


def _header(mapping: ExportMapping, field: str) -> str:
    return mapping.headers[field]


def _count(value: Any) -> int:
    """Engagement counts as exports write them: 12, 12.0, "1,234", "1.2万", "10万+"."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return int(value)
    match = _COUNT.match(str(value).strip())
    if not match:
        raise ValueError(value)
    return int(float(match.group(1).replace(",", "")) * _SCALE.get(match.group(2) or "", 1))


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in _YES else False if text in _NO else None


def _cell(value: Any) -> Any:
    """A cell as text, a number or a time; blank is None. Sheets hold case numbers as numbers."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None or isinstance(value, datetime | date | int | float | bool):
        return value
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
