"""Reading 12345 hotline work-order exports (CSV, XLSX, JSON) into raw items, row by row.

Every reader yields ``(origin, raw item, None)`` for a row that maps to an item and
``(origin, None, reason)`` for one that does not. The origin is ``file:line`` for CSV (the
physical line where the row starts, the header being line 1), ``file:row`` for XLSX,
``file[index]`` for a JSON array (from 0) and ``file:line`` for JSON Lines. A file that cannot
be read at all (empty, no header row, wrong encoding) raises `ExportError` before any row.

The format is taken from the content (a zip is XLSX), then the file name, then the source.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from core.errors import ExportError
from crawler.sources import HotlineSource
from crawler.tabular import delimited, jsonfile, tables
from crawler.tabular.mapping import FIELDS, Row, check_columns

__all__ = ["FIELDS", "ExportError", "Row", "read_bytes", "read_file"]

_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
             ".json": "json", ".jsonl": "json", ".ndjson": "json"}  # fmt: skip


def read_file(path: Path, source: HotlineSource) -> Iterator[Row]:
    """The rows of an export on disk, read as they are consumed (a large CSV is streamed)."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror}") from exc
    with stream:
        yield from _read(stream, source, path.name)


def read_bytes(data: bytes, source: HotlineSource, *, name: str) -> Iterator[Row]:
    """The rows of an export held in memory (one fetched over HTTP); `name` starts each origin."""
    yield from _read(io.BytesIO(data), source, name)


def _read(stream: BinaryIO, source: HotlineSource, name: str) -> Iterator[Row]:
    columns = check_columns(source)
    head = stream.read(delimited.SAMPLE_BYTES)
    stream.seek(0)
    if not head.strip():
        raise ExportError(f"{name}: the file is empty")
    kind = _format(head, name, source)
    if kind == "json":
        yield from jsonfile.json_items(stream, head, source, columns, name)
    elif kind == "xlsx":
        rows = tables.xlsx_rows(stream, name)
        yield from tables.table_items(rows, columns, name, unit="row", strict=False)
    else:
        rows = delimited.csv_rows(stream, head, source, name)
        yield from tables.table_items(rows, columns, name, unit="line", strict=True)


def _format(head: bytes, name: str, source: HotlineSource) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExportError(f"{name} is an old binary Excel (.xls) workbook; save it as .xlsx")
    return _SUFFIXES.get(PurePosixPath(name).suffix.lower(), source.format)
