"""JSON exports: an array of objects (or an object wrapping one), or JSON Lines, streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from core.errors import ExportError
from crawler.tabular.mapping import ExportMapping, Row, header_key
from crawler.tabular.rows import item

# (origin, where, the record or None, why there is none)
Record = tuple[str, str, dict[str, Any] | None, str | None]


def json_items(stream: BinaryIO, head: bytes, mapping: ExportMapping, name: str) -> Iterator[Row]:
    checked = False
    encoding = mapping.export.encoding or "utf-8-sig"
    for origin, where, record, problem in _records(stream, head, encoding, name):
        if record is None:
            yield origin, None, f"{where}: {problem}"
            continue
        keys = {header_key(k): v for k, v in record.items()}
        if not checked:
            # The first record stands for a header row: one error, not one per record.
            _check_keys(set(keys), mapping, name)
            checked = True
        yield item({f: keys.get(h) for f, h in mapping.headers.items()}, mapping, origin, where)


def _check_keys(keys: set[str], mapping: ExportMapping, name: str) -> None:
    lacking = [" or ".join(need) for need in mapping.required() if not keys.intersection(need)]
    if lacking:
        shown = ", ".join(sorted(keys))[:300] or "nothing"
        raise ExportError(
            f"{name}: the records lack the keys the source maps; the first has {shown};"
            f" missing {'; '.join(lacking)}"
        )


def _records(stream: BinaryIO, head: bytes, encoding: str, name: str) -> Iterator[Record]:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"[") and _first_line_is_record(start, encoding):
        yield from _json_lines(stream, encoding, name)
        return
    data = _load(stream.read(), encoding, name)
    for index, record in enumerate(_array(data, name)):
        yield _record(f"{name}[{index}]", f"record {index}", record)


def _first_line_is_record(start: bytes, encoding: str) -> bool:
    """JSON Lines start with a whole object on the first line that wraps no list of records."""
    try:
        first = json.loads(start.split(b"\n", 1)[0].decode(encoding))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(first, dict) and not _record_lists(first)


def _json_lines(stream: BinaryIO, encoding: str, name: str) -> Iterator[Record]:
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        origin, where = f"{name}:{number}", f"line {number}"
        try:
            record = json.loads(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            yield origin, where, None, f"not {encoding} text: {exc.reason}"
            continue
        except json.JSONDecodeError as exc:
            yield origin, where, None, f"not JSON: {exc.msg} at column {exc.colno}"
            continue
        yield _record(origin, where, record)


def _record(origin: str, where: str, record: object) -> Record:
    if isinstance(record, dict):
        return origin, where, record, None
    return origin, where, None, f"not an object but {type(record).__name__}"


def _load(data: bytes, encoding: str, name: str) -> Any:
    try:
        return json.loads(data.decode(encoding))
    except UnicodeDecodeError as exc:
        raise ExportError(
            f"{name} is not {encoding} text: {exc.reason} at byte {exc.start}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ExportError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


def _array(data: Any, name: str) -> list[Any]:
    """The list of records: the document itself, or the one list of objects it wraps."""
    if isinstance(data, list):
        return data
    lists = _record_lists(data) if isinstance(data, dict) else []
    if len(lists) == 1:
        return lists[0]
    raise ExportError(
        f"{name}: expected an array of records (or JSON Lines), found a {type(data).__name__}"
        + (f" with {len(lists)} lists of records" if lists else "")
    )


def _record_lists(data: dict[str, Any], depth: int = 2) -> list[list[Any]]:
    """Lists of objects among the values, for APIs that answer {"code": 0, "data": [...]}, or
    one object further down ({"resultData": {"data": [...]}, "result": {...}}, people.com.cn)."""
    found = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if found or depth <= 1:
        return found
    return [
        inner for v in data.values() if isinstance(v, dict) for inner in _record_lists(v, depth - 1)
    ]
