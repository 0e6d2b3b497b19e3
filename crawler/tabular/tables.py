"""Table exports (CSV lines, XLSX rows): finding the header row and mapping each row by it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple

from core.errors import ExportError
from crawler.tabular.mapping import Row, header_key, item, required

log = logging.getLogger(__name__)

# Exports often open with a title block ("12345 工单导出 2025-03-18") above the header.
HEADER_SEARCH_ROWS = 10


class TableRow(NamedTuple):
    """One record of a table: where it starts and ends, its cells, or why it has none."""

    start: int
    end: int
    cells: list[Any] | None
    problem: str | None = None


def xlsx_rows(stream: BinaryIO, name: str) -> Iterator[TableRow]:
    """The rows of the workbook's active sheet, streamed, numbered as the sheet numbers them."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ExportError(f"{name} is not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = book.active
        if sheet is None or not hasattr(sheet, "reset_dimensions"):
            raise ExportError(f"{name}: the workbook has no worksheet to read")
        # Some exporters record a wrong sheet size, and openpyxl would cut the rows to it.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
            yield TableRow(number, number, list(values))
    finally:
        book.close()


def table_items(
    rows: Iterator[TableRow], columns: dict[str, str], name: str, *, unit: str, strict: bool
) -> Iterator[Row]:
    """Raw items of the rows below the header; `strict` rejects values past the last column."""
    header = _find_header(rows, columns, name, unit)
    index = _column_index(header, columns, name)
    for row in rows:
        where = f"{unit} {row.start}" if row.end == row.start else f"{unit}s {row.start}-{row.end}"
        origin = f"{name}:{row.start}"
        if row.cells is None or row.problem:
            yield origin, None, f"{where}: {row.problem}"
            continue
        if _blank(row.cells):
            continue
        shape = _shape_problem(row.cells, header, index, strict)
        if shape:
            yield origin, None, f"{where}: {shape}"
            continue
        values = {f: row.cells[i] if i < len(row.cells) else None for f, i in index.items()}
        yield item(values, columns, origin, where)


def _find_header(
    rows: Iterator[TableRow], columns: dict[str, str], name: str, unit: str
) -> list[str]:
    needs = required(columns)
    first: TableRow | None = None
    for seen, row in enumerate((r for r in rows if r.cells and not _blank(r.cells)), 1):
        first = first or row
        header = [header_key(cell) for cell in row.cells or []]
        if all(set(need) & set(header) for need in needs):
            return header
        if seen >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise ExportError(f"{name}: the file is empty (no rows, not even a header row)")
    header = [header_key(cell) for cell in first.cells or []]
    lacking = [" or ".join(need) for need in needs if not set(need) & set(header)]
    shown = ", ".join(h for h in header if h)[:300] or "nothing"
    raise ExportError(
        f"{name}: no header row with the columns the source maps; {unit} {first.start} has"
        f" {shown}; missing {'; '.join(lacking)}"
    )


def _column_index(header: list[str], columns: dict[str, str], name: str) -> dict[str, int]:
    index = {field: header.index(h) for field, h in columns.items() if h in header}
    absent = [f"{h} ({field})" for field, h in columns.items() if field not in index]
    if absent:
        # An optional column left out of this export: its fields stay empty, rows still count.
        log.warning("%s: no column %s in the header row", name, ", ".join(absent))
    return index


def _blank(cells: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _shape_problem(
    cells: list[Any], header: list[str], index: dict[str, int], strict: bool
) -> str | None:
    """A CSV row cut short, or with values past the header, has them in the wrong columns.

    Sheets are not held to this: they leave trailing empty cells out, and a cell beyond the
    header cannot shift the others.
    """
    if not strict:
        return None
    missing = [header[i] for i in sorted(index.values()) if i >= len(cells)]
    if missing:
        return f"the row has {len(cells)} of {len(header)} columns; missing {', '.join(missing)}"
    extra = [c for c in cells[len(header) :] if c is not None and str(c).strip()]
    if extra:
        return (
            f"the row has {len(cells)} values but the header {len(header)} columns"
            f" (a separator inside an unquoted field?); first extra value: {str(extra[0])[:40]!r}"
        )
    return None
