"""Table exports (CSV lines, XLSX rows): finding the header row and mapping each row by it."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple

from core.errors import ExportError
from crawler.tabular.mapping import ExportMapping, Row, header_key
from crawler.tabular.rows import item

log = logging.getLogger(__name__)

# Exports often open with a title block ("12345 工单导出 2025-03-18") above the header.
HEADER_SEARCH_ROWS = 10


class TableRow(NamedTuple):
    """One record of a table: where it starts and ends, its cells, or why it has none."""

    start: int
    end: int
    cells: list[Any] | None
    problem: str | None = None


class Sheet(NamedTuple):
    """One worksheet to read: the name its origins carry (None for a lone active sheet)."""

    label: str | None
    rows: Iterator[TableRow]


def xlsx_sheets(stream: BinaryIO, name: str, chosen: list[str] | str | None) -> Iterator[Sheet]:
    """The sheets `chosen` (names, "all", or None for the active sheet), rows streamed and
    numbered as the sheet numbers them. A name the workbook lacks is an `ExportError` naming
    the sheets it has, raised before any row."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ExportError(f"{name} is not a readable XLSX workbook: {exc}") from exc
    try:
        picked: list[tuple[str | None, Any]]
        if chosen is None:
            picked = [(None, book.active)]
        else:
            names = book.sheetnames if chosen == "all" else list(chosen)
            missing = [n for n in names if n not in book.sheetnames]
            if missing:
                raise ExportError(
                    f"{name} has no sheet {', '.join(map(repr, missing))}; its sheets:"
                    f" {', '.join(book.sheetnames)}"
                )
            picked = [(n, book[n]) for n in names]
        for label, sheet in picked:
            if sheet is None or not hasattr(sheet, "reset_dimensions"):
                if chosen is None:
                    raise ExportError(f"{name}: the workbook has no worksheet to read")
                continue  # a chart sheet holds no rows
            yield Sheet(label, _sheet_rows(sheet))
    finally:
        book.close()


def _sheet_rows(sheet: Any) -> Iterator[TableRow]:
    # Some exporters record a wrong sheet size, and openpyxl would cut the rows to it.
    sheet.reset_dimensions()
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
        yield TableRow(number, number, list(values))


def sheet_items(sheets: Iterator[Sheet], mapping: ExportMapping, name: str) -> Iterator[Row]:
    """Raw items of each sheet, each below its own header row; origins name the sheet when
    sheets were chosen (``book.xlsx:Sheet2:15``)."""
    for sheet in sheets:
        if sheet.label is None:
            yield from table_items(sheet.rows, mapping, name, unit="row", strict=False)
            continue
        label = f"{name}:{sheet.label}"
        rows = _peeked(sheet.rows)
        if rows is None:
            log.info("%s: an empty sheet", label)
            continue
        items = table_items(rows, mapping, label, unit="row", strict=False)
        try:
            first = next(items, None)
        except ExportError as exc:
            # One sheet without the mapped columns (a summary, notes) costs that sheet, not
            # the workbook: it is reported as a rejected row, and the other sheets are read.
            yield label, None, str(exc)
            continue
        if first is not None:
            yield first
            yield from items


def _peeked(rows: Iterator[TableRow]) -> Iterator[TableRow] | None:
    """The rows from the first non-blank one, or None when there is none."""
    for row in rows:
        if row.cells and not _blank(row.cells):
            return itertools.chain([row], rows)
    return None


def table_items(
    rows: Iterator[TableRow], mapping: ExportMapping, name: str, *, unit: str, strict: bool
) -> Iterator[Row]:
    """Raw items of the rows below the header; `strict` rejects values past the last column."""
    header = _find_header(rows, mapping, name, unit)
    index = _column_index(header, mapping.headers, name)
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
        yield item(values, mapping, origin, where)


def _find_header(
    rows: Iterator[TableRow], mapping: ExportMapping, name: str, unit: str
) -> list[str]:
    needs = mapping.required()
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
