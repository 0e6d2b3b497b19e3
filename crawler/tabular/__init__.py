"""Reading exports (CSV, XLSX, JSON) into raw items, row by row: 12345 hotline work orders,
and board messages exported by a city's message board (a board source with `export:`).

Every reader yields ``(origin, raw item, None)`` for a row that maps to an item and
``(origin, None, reason)`` for one that does not. The origin is ``file:line`` for CSV (the
physical line where the row starts, the header being line 1), ``file:row`` for XLSX,
``file[index]`` for a JSON array (from 0) and ``file:line`` for JSON Lines; XLSX sheets chosen
by `sheets:` are named, ``file:sheet:row``. A file that cannot
be read at all (empty, no header row, wrong encoding) raises `ExportError` before any row.

The format is taken from the content (a zip is XLSX), then the file name, then the source.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from core.errors import ExportError
from crawler.sources import AnySource
from crawler.tabular import delimited, jsonfile, tables
from crawler.tabular.mapping import ExportMapping, Row, mapping_of

__all__ = ["ExportError", "Row", "read_bytes", "read_file"]

_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
             ".json": "json", ".jsonl": "json", ".ndjson": "json"}  # fmt: skip


def read_file(path: Path, source: AnySource, *, author_key: str | None = None) -> Iterator[Row]:
    """The rows of an export on disk, read as they are consumed (a large CSV is streamed).

    `author_key` is the product's secret key, which board authors are pseudonymised with; a
    source without an export mapping, or a board export that maps authors without a key, is a
    `ConfigError` raised at the call, before the file is opened.
    """
    return _read_path(path, mapping_of(source, author_key=author_key))


def read_bytes(
    data: bytes, source: AnySource, *, name: str, author_key: str | None = None
) -> Iterator[Row]:
    """The rows of an export held in memory (one fetched over HTTP); `name` starts each origin."""
    return _read(io.BytesIO(data), mapping_of(source, author_key=author_key), name)


def _read_path(path: Path, mapping: ExportMapping) -> Iterator[Row]:
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror}") from exc
    with stream:
        yield from _read(stream, mapping, path.name)


def _read(stream: BinaryIO, mapping: ExportMapping, name: str) -> Iterator[Row]:
    head = stream.read(delimited.SAMPLE_BYTES)
    stream.seek(0)
    if not head.strip():
        raise ExportError(f"{name}: the file is empty")
    kind = _format(head, name, mapping.export.format)
    if kind == "json":
        yield from jsonfile.json_items(stream, head, mapping, name)
    elif kind == "xlsx":
        sheets = tables.xlsx_sheets(stream, name, mapping.export.sheets)
        yield from tables.sheet_items(sheets, mapping, name)
    else:
        rows = delimited.csv_rows(stream, head, mapping, name)
        yield from tables.table_items(rows, mapping, name, unit="line", strict=True)


def _format(head: bytes, name: str, configured: str) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExportError(f"{name} is an old binary Excel (.xls) workbook; save it as .xlsx")
    return _SUFFIXES.get(PurePosixPath(name).suffix.lower(), configured)
