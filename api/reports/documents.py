"""The layout both reports share, and its two file formats: DOCX (python-docx) and XLSX
(openpyxl).

A report is data first (`daily.DailyBrief`, `quarterly.QuarterlyBulletin`); each turns itself
into a `Report`: sections of paragraphs, chart images and tables whose columns say what kind of
value they hold. The writers here lay that out the same way for every report: the DOCX shows
values formatted for reading, the XLSX keeps them as numbers (rates as fractions with a percent
format), so a spreadsheet can compute with them. Text comes from the public (issue and hot
issue titles): every string goes through `core.text.valid_text` (XML cannot hold a NUL or a lone
surrogate), and every XLSX cell through `cells.cell_value` (text is never a formula).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from api.reports.cells import cell_value
from core.settings import Settings
from core.text import valid_text

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"docx": DOCX_TYPE, "xlsx": XLSX_TYPE}

BODY_FONT, HEADING_FONT = "宋体", "黑体"
MISSING = "—"


class Kind(StrEnum):
    """What a column holds, which decides how each format shows it."""

    TEXT = "text"
    INT = "int"
    PERCENT = "percent"  # a fraction between 0 and 1
    HOURS = "hours"
    SCORE = "score"
    DATETIME = "datetime"  # naive, in the office's time zone


XLSX_FORMATS = {
    Kind.INT: "0",
    Kind.PERCENT: "0.0%",
    Kind.HOURS: "0.0",
    Kind.SCORE: "0.0",
    Kind.DATETIME: "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: float = 12  # characters, in the spreadsheet


@dataclass(frozen=True)
class Table:
    """One table: a DOCX table under its section, and a sheet of the workbook."""

    sheet: str  # the sheet's name (at most 31 characters)
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    caption: str = ""
    empty: str = "无。"  # what the DOCX says instead of a table without rows


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    file_stem: str  # the file name without extension, in Chinese
    ascii_stem: str  # the same for clients that cannot read an encoded file name
    sections: list[Section]
    notes: list[str] = field(default_factory=list)


def display(value: Any, kind: Kind) -> str:
    """A value as the DOCX shows it."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        return valid_text(value)
    if kind is Kind.PERCENT:
        return f"{100 * value:.1f}%"
    if kind in (Kind.HOURS, Kind.SCORE):
        return f"{value:.1f}"
    if kind is Kind.DATETIME:
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


# -- DOCX ---------------------------------------------------------------------------------------


def docx_bytes(report: Report) -> bytes:
    document = Document()
    _page_and_fonts(document)
    document.core_properties.title = valid_text(report.title)
    document.core_properties.author = "yuqing 舆情监测与回应跟踪"
    title = document.add_heading(valid_text(report.title), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle = document.add_paragraph(valid_text(report.subtitle))
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in report.sections:
        document.add_heading(valid_text(section.heading), level=1)
        for text in section.paragraphs:
            document.add_paragraph(valid_text(text))
        for chart in section.charts:
            document.add_picture(io.BytesIO(chart.png), width=Cm(16))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = document.add_paragraph(valid_text(chart.caption))
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for table in section.tables:
            _docx_table(document, table)
    if report.notes:
        document.add_heading("说明", level=1)
        for text in report.notes:
            document.add_paragraph(valid_text(text))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_and_fonts(document: DocxDocument) -> None:
    """A4 with the margins of government documents; Chinese fonts for body and headings."""
    for page in document.sections:
        page.page_width, page.page_height = Cm(21), Cm(29.7)
        page.top_margin = page.bottom_margin = Cm(2.5)
        page.left_margin = page.right_margin = Cm(2.6)
    styles = document.styles
    _font(styles["Normal"], BODY_FONT, Pt(10.5))
    for name in ("Title", "Heading 1", "Heading 2"):
        _font(styles[name], HEADING_FONT, None)
        styles[name].font.color.rgb = RGBColor(0, 0, 0)


def _font(style: Any, name: str, size: Any) -> None:
    style.font.name = name
    if size is not None:
        style.font.size = size
    # Word takes Chinese characters from the East Asian font slot, which `font.name` leaves
    # unset; python-docx has no property for it, so it is set on the style's run properties.
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _docx_table(document: DocxDocument, table: Table) -> None:
    if table.caption:
        document.add_paragraph(valid_text(table.caption)).runs[0].bold = True
    if not table.rows:
        document.add_paragraph(valid_text(table.empty))
        return
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, column in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = valid_text(column.header)
        cell.paragraphs[0].runs[0].bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, column, value in zip(cells, table.columns, row, strict=True):
            cell.text = display(value, column.kind)
            if column.kind is not Kind.TEXT:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    document.add_paragraph()


# -- XLSX ---------------------------------------------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def xlsx_bytes(report: Report) -> bytes:
    """A cover sheet with the title and the text, then one sheet per table."""
    workbook = Workbook()
    cover = workbook.active
    assert isinstance(cover, Worksheet)  # a new workbook has one sheet
    cover.title = "封面"
    cover.column_dimensions["A"].width = 100
    cover.append([cell_value(report.title)])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([cell_value(report.subtitle)])
    for section in report.sections:
        cover.append([])
        cover.append([cell_value(section.heading)])
        cover.cell(cover.max_row, 1).font = Font(bold=True)
        for text in section.paragraphs:
            cover.append([cell_value(text)])
        for table in section.tables:
            cover.append([cell_value(f"见工作表“{table.sheet}”")])
    for text in report.notes:
        cover.append([cell_value(text)])
    for row in cover.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    for section in report.sections:
        for table in section.tables:
            _sheet(workbook, table)
    workbook.properties.title = valid_text(report.title)
    workbook.properties.creator = "yuqing"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(workbook: Workbook, table: Table) -> None:
    sheet = workbook.create_sheet(table.sheet)
    sheet.append([cell_value(column.header) for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in table.rows:
        sheet.append([cell_value(value) for value in row])
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        number_format = XLSX_FORMATS.get(column.kind)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if number_format:
                cell.number_format = number_format
            if column.kind is Kind.TEXT:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions


# -- files and downloads --------------------------------------------------------------------


def output_dir(settings: Settings) -> Path:
    """Where reports are written unless told otherwise: `reports.out_dir` (by default
    `reports` in the data directory)."""
    return settings.resolve(settings.reports.out_dir)


def write(report: Report, out_dir: Path) -> list[Path]:
    """Both files of the report in `out_dir` (created if needed); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for extension, render in (("docx", docx_bytes), ("xlsx", xlsx_bytes)):
        path = out_dir / f"{report.file_stem}.{extension}"
        partial = path.with_name(f".{path.name}.partial")
        # Written beside and renamed, so nobody opens a half-written file.
        partial.write_bytes(render(report))
        partial.replace(path)
        paths.append(path)
    return paths


def content_disposition(report: Report, extension: str) -> str:
    """An attachment header with the Chinese file name (RFC 6266) and an ASCII fallback."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", f"{report.ascii_stem}.{extension}")
    encoded = quote(f"{report.file_stem}.{extension}", safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def local_naive(value: datetime | None, tz: tzinfo) -> datetime | None:
    """An aware time as the office's wall-clock time, which is what a spreadsheet can hold."""
    return value.astimezone(tz).replace(tzinfo=None) if value is not None else None
